"""The pandas engine: one machine, the input streamed in chunks so memory stays flat.

Two passes over the input: the id column alone, to find ids repeated anywhere in the
partition, then every column, chunk by chunk: validate, score, write.

The model's predict is most of the work, so the second pass is a three-stage pipeline:
while the main thread scores chunk n, one thread reads and validates chunk n+1 and another
checks and writes chunk n-1. Reading, validating and writing would otherwise leave a core
idle between predicts; at most three chunks are in memory at once, however large the input.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from functools import partial
from typing import TypeVar

import pandas as pd

from .contract import (
    ID_COLUMN,
    LINEAGE_COLUMNS,
    REASON_COLUMN,
    SCORE_COLUMN,
    output_arrow_schema,
    output_schema,
    quarantine_arrow_schema,
)
from .drift import DriftAccumulator
from .engine import EngineOutcome, PartitionJob
from .metrics import ScoreHistogram
from .scoring import score_chunk
from .storage import ParquetSink, read_chunks, read_column
from .validation import Split, check_output, duplicate_ids, split_valid

T = TypeVar("T")


def prefetched(items: Iterator[T]) -> Generator[T, None, None]:
    """The same items, each produced in a background thread while the caller works on the
    previous one. Errors are raised where the item would have been."""
    end = object()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read") as pool:
        pending = pool.submit(next, items, end)
        while (item := pending.result()) is not end:
            pending = pool.submit(next, items, end)
            yield item  # type: ignore[misc]  # not the sentinel: checked above


class Stage:
    """Runs one step at a time in a background thread, in order. Waiting for the previous
    step before starting the next keeps at most one chunk in it and stops at the first
    error, which is raised to the caller."""

    def __init__(self, name: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._pending: Future[None] | None = None

    def submit(self, step: Callable[[], None]) -> None:
        self.wait()
        self._pending = self._pool.submit(step)

    def wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def close(self) -> None:
        """Wait for the last step (even after an error elsewhere) and stop the thread."""
        try:
            self.wait()
        finally:
            self._pool.shutdown(wait=True)


def score_partition(job: PartitionJob) -> EngineOutcome:
    """Validate, score and stage one partition, chunk by chunk."""
    out = ParquetSink(job.staged_output, output_arrow_schema(), LINEAGE_COLUMNS)
    quarantine = ParquetSink(job.staged_quarantine, quarantine_arrow_schema(), (REASON_COLUMN,))
    scores = ScoreHistogram()
    drift = DriftAccumulator(job.model.drift_reference) if job.model.drift_reference else None
    schema = output_schema()
    source, input_format, chunk_rows = job.source, job.config.input_format, job.config.chunk_rows
    ids = read_column(source, input_format, ID_COLUMN, chunk_rows)
    duplicates = duplicate_ids(ids) if ids is not None else None
    rows_in = 0

    def validated() -> Iterator[Split]:
        """Read and validate (the reading thread); rejected rows go to quarantine here."""
        nonlocal rows_in
        for chunk in read_chunks(source, input_format, chunk_rows):
            rows_in += len(chunk)
            split = split_valid(chunk, duplicates)
            if len(split.rejected):
                quarantine.write(split.rejected)
            if len(split.valid) and drift is not None:
                drift.add(split.valid)
            yield split

    def write(scored: pd.DataFrame) -> None:
        """Check and write one scored chunk (the writing thread)."""
        check_output(scored, schema)
        out.write(scored)
        scores.add(scored[SCORE_COLUMN].to_numpy())

    writer = Stage("write")
    try:
        # closing: after an error, wait for the reading thread before the caller cleans up
        with closing(prefetched(validated())) as splits:
            for split in splits:
                if len(split.valid):
                    writer.submit(partial(write, score_chunk(split.valid, job.model, job.lineage)))
    finally:
        writer.close()
    out.close()
    if quarantine.rows:
        quarantine.close()
    return EngineOutcome(
        rows_in=rows_in,
        rows_scored=out.rows,
        rows_rejected=quarantine.rows,
        scores=scores,
        drift=drift,
    )
