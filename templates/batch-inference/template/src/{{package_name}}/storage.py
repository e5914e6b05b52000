"""Partitions on a local path or an object store: read in chunks, write atomically.

Layout: ``<root>/<key>=<YYYY-MM-DD>/`` holds data files and a ``_SUCCESS`` manifest
(run id, model, row counts and the list of the partition's data files). A run writes into
``<root>/_staging/`` and commits only when everything is written, so a rerun replaces
(never appends) and a crash while writing leaves the previous output as it was:

- on a local or mounted file system, two renames swap the finished directory in place of
  the old one;
- on an object store (S3, GCS), which has no rename, the new files are copied in under
  names unique to the run, then the manifest is replaced in one PUT, which is atomic, and
  only then are the previous run's files deleted. Until that PUT the old manifest still
  names the old, untouched files; ``partition_files`` and ``read_partition`` read what
  the manifest names (docs/adr/0001-idempotent-partition-writes.md).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from .errors import InputPartitionMissingError

MANIFEST = "_SUCCESS"
STAGING = "_staging"
QUARANTINE = "_quarantine"
REPORTS = "_reports"
_SUFFIX = {"parquet": ".parquet", "csv": ".csv"}


@dataclass(frozen=True)
class Location:
    """A root directory: a file-system object plus the path inside it."""

    fs: pafs.FileSystem
    path: str
    local: bool

    @classmethod
    def parse(cls, uri: str) -> Location:
        if "://" in uri:
            fs, path = pafs.FileSystem.from_uri(uri)
            return cls(fs, path.rstrip("/"), isinstance(fs, pafs.LocalFileSystem))
        return cls(pafs.LocalFileSystem(), os.path.abspath(uri), True)

    def child(self, *parts: str) -> Location:
        return Location(self.fs, "/".join([self.path, *parts]), self.local)

    def exists(self) -> bool:
        return bool(self.fs.get_file_info(self.path).type != pafs.FileType.NotFound)

    def uri(self) -> str:
        """What Spark or a person would use to address this location."""
        if self.local:
            return "file://" + self.path
        scheme = {"S3FileSystem": "s3a", "GcsFileSystem": "gs"}.get(type(self.fs).__name__, "")
        return f"{scheme}://{self.path}"


def partition_name(key: str, day: date) -> str:
    return f"{key}={day.isoformat()}"


def input_files(location: Location, input_format: str) -> list[str]:
    """Data files of an input partition, or a clear error when it is missing or empty."""
    if not location.exists():
        raise InputPartitionMissingError(
            f"input partition {location.uri()} does not exist: upstream data is missing or "
            "late. Rerun this date once it lands (see docs/runbook.md#batchscoringrunlate)."
        )
    selector = pafs.FileSelector(location.path, recursive=False)
    suffix = _SUFFIX[input_format]
    files = sorted(
        info.path
        for info in location.fs.get_file_info(selector)
        if info.is_file
        and info.base_name.endswith(suffix)
        and not info.base_name.startswith(("_", "."))
    )
    if not files:
        raise InputPartitionMissingError(
            f"input partition {location.uri()} has no {input_format} files: upstream data is "
            "missing or incomplete."
        )
    return files


def read_chunks(location: Location, input_format: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The partition's rows, at most ``chunk_rows`` at a time, file by file."""
    return _chunks(location, input_files(location, input_format), input_format, chunk_rows)


def read_column(
    location: Location, input_format: str, column: str, chunk_rows: int
) -> Iterator[pd.Series] | None:
    """One column of the partition, chunk by chunk (Parquet reads nothing else); None
    when a file lacks the column, so that the full read reports every missing column."""
    files = input_files(location, input_format)
    for path in files:
        if input_format == "parquet":
            with location.fs.open_input_file(path) as handle:
                names = pq.read_schema(handle).names
        else:
            with location.fs.open_input_stream(path) as handle:
                names = list(pd.read_csv(handle, nrows=0).columns)
        if column not in names:
            return None
    chunks = _chunks(location, files, input_format, chunk_rows, columns=[column])
    return (chunk[column] for chunk in chunks)


def _chunks(
    location: Location,
    files: list[str],
    input_format: str,
    chunk_rows: int,
    columns: list[str] | None = None,
) -> Iterator[pd.DataFrame]:
    """Rows of ``files`` (only ``columns`` when given), at most ``chunk_rows`` at a time."""
    for path in files:
        if input_format == "parquet":
            with location.fs.open_input_file(path) as handle:
                # pre_buffer would cache every row group read so far: memory would grow
                # with the file instead of staying at one chunk.
                parquet = pq.ParquetFile(handle, pre_buffer=False)
                for batch in parquet.iter_batches(batch_size=chunk_rows, columns=columns):
                    yield batch.to_pandas()
        else:
            with location.fs.open_input_stream(path) as handle:
                yield from pd.read_csv(
                    handle, usecols=columns, chunksize=chunk_rows, float_precision="round_trip"
                )


class ParquetSink:
    """Appends chunks to one Parquet file inside a staging directory.

    ``dictionary_columns`` are the columns worth dictionary-encoding (few distinct values,
    such as the lineage); trying it on ids and scores only costs time, as they never
    repeat enough to fit.
    """

    def __init__(
        self, directory: Location, schema: pa.Schema, dictionary_columns: tuple[str, ...] = ()
    ) -> None:
        self.directory = directory
        self.schema = schema
        self.dictionary_columns = list(dictionary_columns)
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None

    def write(self, frame: pd.DataFrame) -> None:
        if self._writer is None:
            self.directory.fs.create_dir(self.directory.path, recursive=True)
            self._writer = pq.ParquetWriter(
                f"{self.directory.path}/part-00000.parquet",
                self.schema,
                filesystem=self.directory.fs,
                use_dictionary=self.dictionary_columns,
            )
        table = pa.Table.from_pandas(frame, schema=self.schema, preserve_index=False)
        self._writer.write_table(table)
        self.rows += len(frame)

    def close(self) -> None:
        if self._writer is None:  # no rows at all: still an explicit, empty partition
            self.write(self.schema.empty_table().to_pandas())
        if self._writer is not None:
            self._writer.close()


def staging_for(root: Location, partition: str, run_id: str) -> Location:
    return root.child(STAGING, f"{partition}.{run_id}")


def recover(root: Location, partition: str) -> None:
    """Undo what a run killed in the middle of a swap left behind, then clear its staging."""
    staging = root.child(STAGING)
    if not staging.exists():
        return
    final = root.child(partition)
    entries = root.fs.get_file_info(pafs.FileSelector(staging.path, recursive=False))
    for info in sorted(entries, key=lambda i: i.base_name):
        if not info.base_name.startswith(partition + "."):
            continue
        if info.base_name.endswith(".previous") and not final.exists():
            root.fs.move(info.path, final.path)
        else:
            root.fs.delete_dir(info.path)


def discard(directory: Location) -> None:
    """Remove a staging directory (left over after a failure), and its parent when empty."""
    if directory.exists():
        directory.fs.delete_dir(directory.path)
    parent = directory.path.rsplit("/", 1)[0]
    if directory.local and os.path.isdir(parent) and not os.listdir(parent):
        os.rmdir(parent)


def _data_files(directory: Location) -> list[str]:
    """Base names of the data files in a directory (not the manifest, not hidden files)."""
    if not directory.exists():
        return []
    entries = directory.fs.get_file_info(pafs.FileSelector(directory.path, recursive=False))
    hidden = ("_", ".")  # the manifest; checksum files some writers add
    return sorted(i.base_name for i in entries if i.is_file and not i.base_name.startswith(hidden))


def write_json(directory: Location, name: str, document: dict[str, Any]) -> None:
    """Write or replace one small JSON file so that readers see the old or the new one,
    never a part: a rename on a file system, one PUT (atomic) on an object store."""
    text = json.dumps(document, indent=2, sort_keys=True, default=str).encode()
    directory.fs.create_dir(directory.path, recursive=True)
    target = f"{directory.path}/{name}"
    if not directory.local:
        with directory.fs.open_output_stream(target) as handle:
            handle.write(text)
        return
    temporary = f"{directory.path}/.{name}.{uuid.uuid4().hex}.tmp"  # hidden from readers
    with open(temporary, "wb") as handle:
        handle.write(text)
    os.replace(temporary, target)


def commit(staged: Location, final: Location, manifest: dict[str, Any]) -> None:
    """Replace ``final`` by ``staged`` as one step, the manifest written last."""
    staged.fs.create_dir(staged.path, recursive=True)
    final.fs.create_dir(final.path.rsplit("/", 1)[0], recursive=True)
    if final.local:
        write_json(staged, MANIFEST, {**manifest, "files": _data_files(staged)})
        previous = f"{staged.path}.previous"
        if final.exists():
            os.rename(final.path, previous)  # both renames are atomic on one file system
        os.rename(staged.path, final.path)
        shutil.rmtree(previous, ignore_errors=True)
        return
    _commit_by_manifest(staged, final, manifest)


def _commit_by_manifest(staged: Location, final: Location, manifest: dict[str, Any]) -> None:
    """The object-store commit: copy in under new names, flip the manifest, clean up."""
    run_id = str(manifest["run_id"])
    names = {}
    for name in _data_files(staged):
        stem, dot, suffix = name.partition(".")
        names[name] = f"{stem}-{run_id}{dot}{suffix}"
    for name, target in names.items():
        final.fs.copy_file(f"{staged.path}/{name}", f"{final.path}/{target}")
    write_json(final, MANIFEST, {**manifest, "files": sorted(names.values())})  # commit point
    for name in set(_data_files(final)) - set(names.values()):
        final.fs.delete_file(f"{final.path}/{name}")  # the previous run's, or a crashed run's
    final.fs.delete_dir(staged.path)


def remove(directory: Location) -> None:
    """Delete a partition (a rerun with no rejected rows clears its old quarantine)."""
    if directory.exists():
        directory.fs.delete_dir(directory.path)


def read_manifest(directory: Location) -> dict[str, Any]:
    with directory.fs.open_input_stream(f"{directory.path}/{MANIFEST}") as handle:
        manifest: dict[str, Any] = json.loads(handle.read())
    return manifest


def partition_files(directory: Location) -> list[str]:
    """Paths of the committed data files of an output partition, as its manifest lists
    them: on an object store the directory may also hold files of a run in flight or of a
    crashed one, which are not part of the partition."""
    if not directory.fs.get_file_info(f"{directory.path}/{MANIFEST}").is_file:
        raise FileNotFoundError(f"{directory.uri()} has no {MANIFEST} manifest: not committed")
    return [f"{directory.path}/{name}" for name in read_manifest(directory)["files"]]


def read_partition(uri: str) -> pd.DataFrame:
    """A committed output partition (local path or object-store URI) as one frame."""
    directory = Location.parse(uri)
    files = partition_files(directory)
    tables = [pq.read_table(path, filesystem=directory.fs) for path in files]
    return pa.concat_tables(tables).to_pandas() if tables else pd.DataFrame()
