"""The pandas engine: one machine, the input streamed in chunks so memory stays flat.

Two passes over the input: the id column alone, to find ids repeated anywhere in the
partition, then every column, chunk by chunk: validate, score, write.
"""

from __future__ import annotations

from .contract import (
    ID_COLUMN,
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
from .validation import check_output, duplicate_ids, split_valid


def score_partition(job: PartitionJob) -> EngineOutcome:
    """Validate, score and stage one partition, chunk by chunk."""
    out = ParquetSink(job.staged_output, output_arrow_schema())
    quarantine = ParquetSink(job.staged_quarantine, quarantine_arrow_schema())
    scores = ScoreHistogram()
    drift = DriftAccumulator(job.model.drift_reference) if job.model.drift_reference else None
    schema = output_schema()
    source, input_format, chunk_rows = job.source, job.config.input_format, job.config.chunk_rows
    ids = read_column(source, input_format, ID_COLUMN, chunk_rows)
    duplicates = duplicate_ids(ids) if ids is not None else None
    rows_in = 0
    for chunk in read_chunks(source, input_format, chunk_rows):
        rows_in += len(chunk)
        split = split_valid(chunk, duplicates)
        if len(split.rejected):
            quarantine.write(split.rejected)
        if not len(split.valid):
            continue
        scored = score_chunk(split.valid, job.model, job.lineage)
        check_output(scored, schema)
        out.write(scored)
        scores.add(scored[SCORE_COLUMN].to_numpy())
        if drift is not None:
            drift.add(split.valid)
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
