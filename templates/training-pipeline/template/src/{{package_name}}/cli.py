"""Command line: one command per pipeline step, plus run-all, promote, monitor and ct.

    python -m <package> run-all
    python -m <package> promote --reason "beats champion on last week's data"

Settings come from environment variables (see config.py); errors are printed as a message
and a non-zero exit code, never as a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from threadpoolctl import threadpool_limits

from . import pipeline
from .config import Settings
from .data import demo_frame, write_table
from .errors import DataRejectedError, GateRefusedError, PipelineError

# Any of these set: the BLAS thread pools keep the size it gives them.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_DATA_REJECTED = 3
EXIT_GATE_REFUSED = 4


def _actor() -> str:
    for variable in ("GITHUB_ACTOR", "GITLAB_USER_LOGIN"):
        if os.environ.get(variable):
            return os.environ[variable]
    return getpass.getuser()


def _step(function: Callable[[Settings], object]) -> Callable[[Settings, argparse.Namespace], None]:
    def run(settings: Settings, _: argparse.Namespace) -> None:
        function(settings)

    return run


def _evaluate(settings: Settings, _: argparse.Namespace) -> None:
    evaluation = pipeline.evaluate_model(settings)
    if not evaluation.passed:
        raise GateRefusedError(f"candidate refused: {evaluation.reason()}")


def _promote(settings: Settings, args: argparse.Namespace) -> None:
    record = pipeline.promote(settings, args.by or _actor(), args.reason, args.version)
    print(
        f"{record.model_name} version {record.version} is now champion "
        f"(was {record.previous_champion or 'none'}), by {record.promoted_by}"
    )


def _monitor(settings: Settings, args: argparse.Namespace) -> None:
    print(pipeline.monitor(settings, args.current).to_text())


def _run_all(settings: Settings, _: argparse.Namespace) -> None:
    record = pipeline.run_all(settings)
    print(f"registered {record.model_uri} as challenger (run {record.run_id})")


def _ct(settings: Settings, args: argparse.Namespace) -> None:
    record = pipeline.continuous_training(settings, args.force, args.current)
    if args.version_file is not None:
        # CI reads the registered version from here to offer it for promotion.
        args.version_file.parent.mkdir(parents=True, exist_ok=True)
        args.version_file.write_text(record.version or "" if record else "")
    print(f"registered {record.model_uri} as challenger" if record else "no retraining needed")


def _demo_data(settings: Settings, args: argparse.Namespace) -> None:
    target = args.output or settings.data_uri
    if target == "demo":
        raise PipelineError("the data source is the built-in demo dataset: pass --output")
    if Path(target).exists() and not args.force:
        raise PipelineError(f"{target} exists: pass --force to replace it with the demo data")
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    write_table(demo_frame(settings.seed), target)
    print(f"wrote the demo dataset to {target}")


COMMANDS: dict[str, tuple[str, Callable[[Settings, argparse.Namespace], None]]] = {
    "ingest": ("read the training data and fingerprint it", _step(pipeline.ingest)),
    "validate": ("check the data against the contract", _step(pipeline.validate_data)),
    "featurize": ("split and build features", _step(pipeline.build_features)),
    "train": ("fit the seeded model", _step(pipeline.train_model)),
    "evaluate": ("gate: threshold and current champion", _evaluate),
    "register": (
        "log the run; register a passing model as challenger",
        _step(pipeline.register_model),
    ),
    "card": ("write the model card of the last run", _step(pipeline.model_card)),
    "run-all": ("every step from ingest to card", _run_all),
    "promote": ("make the challenger the champion (explicit, audited)", _promote),
    "monitor": ("drift of recent data against the champion's training data", _monitor),
    "ct": ("continuous training: monitor, retrain on drift or when forced", _ct),
    "demo-data": ("write the demo dataset to the data path (for file sources)", _demo_data),
}


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog=__package__, description=__doc__.split("\n")[0])
    root.add_argument("--work-dir", type=Path, help="where steps keep their outputs (build/)")
    root.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (summary, _) in COMMANDS.items():
        command = commands.add_parser(name, help=summary, description=summary)
        if name == "promote":
            command.add_argument("--reason", required=True, help="why (kept in the audit record)")
            command.add_argument("--by", help="who approves (default: CI actor or user)")
            command.add_argument("--version", help="version to promote (default: challenger)")
        if name in ("monitor", "ct"):
            command.add_argument("--current", help="recent data to compare (default: data source)")
        if name == "ct":
            command.add_argument("--force", action="store_true", help="retrain even without drift")
            command.add_argument(
                "--version-file", type=Path, help="write the registered version (or nothing) here"
            )
        if name == "demo-data":
            command.add_argument("--output", help="file to write (default: the data path)")
            command.add_argument("--force", action="store_true", help="replace an existing file")
    return root


def one_blas_thread() -> None:
    """BLAS on one thread, unless the environment sizes its pools.

    NumPy and SciPy each load their own OpenBLAS, with one thread per core. The model's
    matrices are narrow (one column per feature), so more threads gain nothing, and the
    idle ones spin while the other library works: on 2 cores the linear model's fit took
    508 ms instead of 93 at 56,900 rows, and 5.2 s instead of 2.8 at 569,000. OpenMP
    (HistGradientBoosting's histograms) keeps its threads, which do pay: 1.8-1.9x faster
    with 2 than with 1.
    """
    if not any(os.environ.get(name) for name in BLAS_THREAD_VARIABLES):
        threadpool_limits(limits=1, user_api="blas")


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    one_blas_thread()
    settings = Settings.from_env()
    if args.work_dir is not None:
        settings = settings.with_changes(work_dir=args.work_dir)
    try:
        COMMANDS[args.command][1](settings, args)
    except DataRejectedError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_DATA_REJECTED
    except GateRefusedError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_GATE_REFUSED
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
