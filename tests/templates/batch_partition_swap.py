"""Probe of a batch-inference render's partition commit (``storage.commit``), run by
test_batch_inference.py in the generated-project environment with the render's ``src`` on
``PYTHONPATH``: ``python batch_partition_swap.py crash|read <package> <scratch dir>``.

- ``crash``: commits version 2 of a partition over version 1 again and again, each time
  raising in place of the k-th file-system step of the commit (k = 1, 2, ... until a
  commit gets through), as a process killed there would stop. After each, ``recover``
  runs (as the next run does first) and the partition must read as version 1 or 2 in
  full. The steps are seen through Python's audit hooks (``open`` for writing, ``os`` and
  ``shutil`` events) and through the pyarrow file system the partition's ``Location``
  carries, so a commit rewritten as delete + copy, either way, is caught at its copy.
- ``read``: a reader thread reads the partition in a loop while the writer commits it
  ``COMMITS`` times; every read must find one whole committed version.

Each version has its own row count, ids and run id in the data, so a partial, mixed or
missing partition cannot read as a whole one. Prints one JSON line: what was seen.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.fs as pafs

PARTITION = "run_date=2024-01-01"
COMMITS = 50
# Audit events of the file-system steps a commit can take from Python.
STEP_EVENTS = frozenset(
    {
        "open",
        "os.rename",
        "os.remove",
        "os.rmdir",
        "os.mkdir",
        "os.truncate",
        "os.link",
        "os.symlink",
        "shutil.rmtree",
        "shutil.copyfile",
        "shutil.copytree",
        "shutil.move",
    }
)


class SimulatedCrashError(Exception):
    """Raised in place of one file-system step of a commit: the process died there."""


def rows_of(version: int) -> int:
    return 200 + version


def ids_of(version: int) -> set[int]:
    return set(range(version * 10_000, version * 10_000 + rows_of(version)))


class _StepCountingFileSystem(pafs.FileSystemHandler):  # type: ignore[misc]
    """The local file system, with each change made through pyarrow counted as a step of
    the commit (the ``os``/``shutil`` ones are seen by the audit hook)."""

    def __init__(self, probe: Probe) -> None:
        self.local = pafs.LocalFileSystem()
        self.probe = probe

    def get_type_name(self) -> str:
        return "step-counting-local"

    def normalize_path(self, path: str) -> str:
        return str(self.local.normalize_path(path))

    def get_file_info(self, paths: list[str]) -> Any:
        return self.local.get_file_info(paths)

    def get_file_info_selector(self, selector: Any) -> Any:
        return self.local.get_file_info(selector)

    def open_input_stream(self, path: str) -> Any:
        return self.local.open_input_stream(path)

    def open_input_file(self, path: str) -> Any:
        return self.local.open_input_file(path)

    def create_dir(self, path: str, recursive: bool) -> None:
        self.probe.step("fs.create_dir", path)
        self.local.create_dir(path, recursive=recursive)

    def delete_dir(self, path: str) -> None:
        self.probe.step("fs.delete_dir", path)
        self.local.delete_dir(path)

    def delete_dir_contents(self, path: str, missing_dir_ok: bool = False) -> None:
        self.probe.step("fs.delete_dir_contents", path)
        self.local.delete_dir_contents(path, missing_dir_ok=missing_dir_ok)

    def delete_root_dir_contents(self) -> None:
        raise NotImplementedError("never needed by a commit")

    def delete_file(self, path: str) -> None:
        self.probe.step("fs.delete_file", path)
        self.local.delete_file(path)

    def move(self, src: str, dest: str) -> None:
        self.probe.step("fs.move", src)
        self.local.move(src, dest)

    def copy_file(self, src: str, dest: str) -> None:
        self.probe.step("fs.copy_file", src)
        self.local.copy_file(src, dest)

    def open_output_stream(self, path: str, metadata: Any) -> Any:
        self.probe.step("fs.open_output_stream", path)
        return self.local.open_output_stream(path, metadata=metadata)

    def open_append_stream(self, path: str, metadata: Any) -> Any:
        self.probe.step("fs.open_append_stream", path)
        return self.local.open_append_stream(path, metadata=metadata)


class Probe:
    def __init__(self, package: str, scratch: Path) -> None:
        self.storage: Any = importlib.import_module(f"{package}.storage")
        self.scratch = scratch
        self.crash_at = 0
        self.steps = 0
        self.writer = threading.get_ident()

    # ------------------------------------------------------------------ writing a version

    def stage(self, root: Any, version: int) -> Any:
        """Version ``version`` of the partition, staged the way the engines stage output."""
        staged = self.storage.staging_for(root, PARTITION, f"run{version}")
        n = rows_of(version)
        frame = pd.DataFrame({"id": sorted(ids_of(version)), "run_id": [f"run{version}"] * n})
        sink = self.storage.ParquetSink(staged, pa.Schema.from_pandas(frame, preserve_index=False))
        sink.write(frame)
        sink.close()
        return staged

    def commit(self, root: Any, version: int, staged: Any = None) -> None:
        manifest = {"run_id": f"run{version}", "rows_scored": rows_of(version)}
        staged = staged if staged is not None else self.stage(root, version)
        self.storage.commit(staged, root.child(PARTITION), manifest)

    # ------------------------------------------------------------------ reading a version

    def problem_with(self, final: Any) -> str:
        """``""`` when ``final`` reads as one whole committed version, else what is wrong."""
        try:
            before = self.storage.read_manifest(final)["run_id"]
            frame = self.storage.read_partition(final.path)
            after = self.storage.read_manifest(final)["run_id"]
        except FileNotFoundError as exc:
            return f"missing partition: {exc}"
        except Exception as exc:  # a torn or half-written Parquet file
            return f"unreadable partition: {type(exc).__name__}: {exc}"
        run_ids = sorted(set(frame["run_id"])) if "run_id" in frame else []
        if len(run_ids) != 1:
            return f"{len(frame)} rows of runs {run_ids}"
        version = int(run_ids[0].removeprefix("run"))
        if len(frame) != rows_of(version) or set(frame["id"]) != ids_of(version):
            return f"{run_ids[0]}: {len(frame)} rows instead of {rows_of(version)}"
        if before == after != run_ids[0]:
            return f"the manifest names {before} but the data is {run_ids[0]}"
        return ""

    # ------------------------------------------------------------------------ crash probe

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        if event in STEP_EVENTS and (event != "open" or _opens_for_writing(args)):
            self.step(event, *args[:2])

    def step(self, what: str, *args: Any) -> None:
        """One file-system step of the writer: the process is killed here at step k."""
        if not self.crash_at or threading.get_ident() != self.writer:
            return
        self.steps += 1
        if self.steps == self.crash_at:
            raise SimulatedCrashError(f"killed at step {self.steps} ({what} {args})")

    def crash_at_every_step(self) -> dict[str, Any]:
        sys.addaudithook(self.audit)
        problems = []
        step = 0
        while True:
            step += 1
            path = self.scratch / f"crash-{step}"
            path.mkdir(parents=True)
            fs = pafs.PyFileSystem(_StepCountingFileSystem(self))
            root = self.storage.Location(fs, str(path), True)
            self.commit(root, 1)
            staged = self.stage(root, 2)
            self.crash_at, self.steps = step, 0
            try:
                self.commit(root, 2, staged)
                crashed = ""
            except SimulatedCrashError as exc:
                crashed = str(exc)
            finally:
                self.crash_at = 0
            self.storage.recover(root, PARTITION)  # what the next run does first
            final = root.child(PARTITION)
            problem = self.problem_with(final)
            if (
                not problem
                and not crashed
                and self.storage.read_manifest(final)["run_id"] != "run2"
            ):
                problem = "the commit went through but the partition is not the new version"
            if problem:
                problems.append(f"{crashed or 'no crash'}, then {problem}")
            if not crashed:
                return {"steps": step - 1, "problems": problems}

    # ----------------------------------------------------------------------- reader probe

    def concurrent_reads(self) -> dict[str, Any]:
        root = self.storage.Location.parse(str(self.scratch / "reader"))
        final = root.child(PARTITION)
        self.commit(root, 0)
        done = threading.Event()
        reads: list[str] = []

        def poll() -> None:
            while not done.is_set():
                reads.append(self.problem_with(final))

        reader = threading.Thread(target=poll, daemon=True)
        reader.start()
        for version in range(1, COMMITS + 1):
            self.commit(root, version)
            while len(reads) < version and reader.is_alive():  # at least one read per commit
                time.sleep(0)
        done.set()
        reader.join()
        problems = [problem for problem in reads if problem]
        return {"reads": len(reads), "problem_count": len(problems), "problems": problems[:5]}


def _opens_for_writing(args: tuple[Any, ...]) -> bool:
    mode, flags = args[1], args[2]
    if isinstance(mode, str):
        return any(char in mode for char in "wax+")
    return isinstance(flags, int) and bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))


def main() -> None:
    mode, package, scratch = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    probe = Probe(package, scratch)
    report = probe.crash_at_every_step() if mode == "crash" else probe.concurrent_reads()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
