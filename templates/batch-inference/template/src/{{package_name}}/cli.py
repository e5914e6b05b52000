"""Command line: ``run --date``, ``backfill --from --to`` and ``demo``.

The CLI only parses arguments, calls the job and turns errors into messages and exit
codes (see ``errors.py``); it never prints row data.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import warnings
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from .config import JobConfig
from .errors import JobError

EXIT_PARTIAL_BACKFILL = 2


def parse_day(text: str) -> date:
    """An ISO date, or ``today`` / ``yesterday`` (UTC) for schedulers."""
    today = datetime.now(UTC).date()
    named = {"today": today, "yesterday": today - timedelta(days=1)}
    if text in named:
        return named[text]
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not YYYY-MM-DD, today or yesterday") from exc


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m " + __package__, description=__doc__)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--input-uri", help="input root (default from config / JOB_INPUT_URI)")
    common.add_argument("--output-uri", help="output root (default from config / JOB_OUTPUT_URI)")
    common.add_argument("--model-uri", help="models:/<name>@<alias> or models:/<name>/<version>")
    common.add_argument("--engine", choices=["pandas", "spark"])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", parents=[common], help="score one partition")
    run.add_argument("--date", type=parse_day, required=True, help="YYYY-MM-DD, today or yesterday")
    backfill = commands.add_parser("backfill", parents=[common], help="score a range of days")
    backfill.add_argument("--from", dest="first", type=parse_day, required=True)
    backfill.add_argument("--to", dest="last", type=parse_day, required=True)
    demo = commands.add_parser("demo", parents=[common], help="write demo input, train demo model")
    demo.add_argument("--from", dest="first", type=parse_day, default=date(2024, 1, 1))
    demo.add_argument("--to", dest="last", type=parse_day, default=date(2024, 1, 3))
    demo.add_argument("--rows", type=int, default=2_000, help="rows per partition")
    return parser


def load_secret_files(directory: str | None) -> None:
    """Export each file of ``directory`` (e.g. ``MLFLOW_TRACKING_URI``) as an environment
    variable of this process, unless already set: Kubernetes mounts secrets as files."""
    if not directory or not os.path.isdir(directory):
        return
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if name.isupper() and os.path.isfile(path) and name not in os.environ:
            with open(path, encoding="utf-8") as handle:
                os.environ[name] = handle.read().strip()


def _config(args: argparse.Namespace) -> JobConfig:
    changes = {
        field: value
        for field, value in {
            "input_uri": args.input_uri,
            "output_uri": args.output_uri,
            "model_uri": args.model_uri,
            "engine": args.engine,
        }.items()
        if value is not None
    }
    return JobConfig.from_env().with_changes(**changes)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    # pandera imports pyspark's pandas API when pyspark is installed, which warns about
    # pandas versions this job does not use through it.
    warnings.filterwarnings("ignore", category=FutureWarning, module="pyspark")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = _parser().parse_args(argv)
    load_secret_files(os.environ.get("JOB_SECRETS_DIR"))
    try:
        config = _config(args)
        if args.command == "run":
            from .job import run_partition

            result = run_partition(config, args.date)
            print(json.dumps(result.__dict__, default=str, sort_keys=True))
            return 0
        if args.command == "backfill":
            from .job import backfill

            outcomes = backfill(config, args.first, args.last)
            failed = [day.isoformat() for day, outcome in outcomes if isinstance(outcome, JobError)]
            print(json.dumps({"days": len(outcomes), "failed": failed}))
            return EXIT_PARTIAL_BACKFILL if failed else 0
        from .demo import train_demo_model, write_demo_input
        from .job import days_between

        written = write_demo_input(config, days_between(args.first, args.last), args.rows)
        print(json.dumps({"input": written, "model": train_demo_model(config)}))
        return 0
    except (JobError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code if isinstance(exc, JobError) else 1
