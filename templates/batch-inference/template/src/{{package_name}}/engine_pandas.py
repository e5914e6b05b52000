"""The pandas engine: one machine, the input streamed in chunks so memory stays flat."""

from __future__ import annotations

from .contract import SCORE_COLUMN, output_arrow_schema, output_schema, quarantine_arrow_schema
from .drift import DriftAccumulator
from .engine import EngineOutcome, PartitionJob
from .metrics import ScoreHistogram
from .scoring import score_chunk
from .storage import ParquetSink, read_chunks
from .validation import check_output, split_valid


def score_partition(job: PartitionJob) -> EngineOutcome:
    """Validate, score and stage one partition, chunk by chunk."""
    out = ParquetSink(job.staged_output, output_arrow_schema())
    quarantine = ParquetSink(job.staged_quarantine, quarantine_arrow_schema())
    scores = ScoreHistogram()
    drift = DriftAccumulator(job.model.drift_reference) if job.model.drift_reference else None
    schema = output_schema()
    rows_in = 0
    for chunk in read_chunks(job.source, job.config.input_format, job.config.chunk_rows):
        rows_in += len(chunk)
        split = split_valid(chunk)
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
