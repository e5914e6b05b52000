"""Benchmark: the generated realtime-inference service against a bare endpoint and MLServer.

Renders the template twice from the catalog under test (``batching=off`` and
``batching=adaptive``), trains the render's demo model once into a local MLflow store, exports
the same fitted estimator with joblib for MLServer, and starts on 127.0.0.1, all serving that
one model with ``OMP_NUM_THREADS=1``:

- ``bare``: a minimal Starlette app with one route that parses the JSON body with orjson,
  builds the float array and calls the model's ``predict_proba`` directly (the ceiling);
- ``gen-off`` and ``gen-adaptive``: the generated service (``python -m <package>``), one
  uvicorn worker each, rendered with ``batching=off`` and ``batching=adaptive``;
- ``mlserver`` and ``mlserver-batching``: MLServer 1.7 with mlserver-sklearn in its best
  configuration (httptools installed, ``debug: false``), its default parallel workers, and the
  same with adaptive batching (max_batch_size 32, max_batch_time 2 ms). It runs in a venv of
  its own, created on first use (``uvloop<0.22``, which MLServer 1.7 needs, and the
  generated environment's scikit-learn version, so the pickled model loads identically).

Before measuring, every server must return the same scores as the estimator on a few rows of
the data. Then wrk (``-t1 --latency``, fresh connections each run) loads one server at a time,
in interleaved rounds: each round runs every server at every connection count, the order
rotated from one connection count to the next and reversed every other round, so that
whatever else runs on the machine spreads over all servers. Prints per server and
connection count the medians over the rounds with their range (requests/s, p50, p99, max
latency), non-2xx answers, errors and 503 sheds, the ratios, and the goals (``--check``:
exit 1 when one is missed). Not a test: numbers depend on the machine.

    .venv/bin/python bench/bench_realtime.py [--duration 10] [--rounds 3]
        [--connections 1,8,32,64] [--servers bare,gen-off,gen-adaptive,mlserver,mlserver-batching]
        [--catalog templates] [--project DIR] [--mlserver-venv DIR] [--check]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from common import REPO
from realtime_stats import (
    BARE,
    GEN_ADAPTIVE,
    GEN_OFF,
    GENERATED,
    MLSERVER,
    MLSERVER_BATCHING,
    SERVERS,
    Summary,
    WrkRun,
    counter_total,
    evaluate_goals,
    parse_wrk,
    run_order,
    summarise,
)

GEN_PYTHON = Path(os.environ.get("GOLDENPATH_GEN_PYTHON", REPO / ".venv-gen" / "bin" / "python"))
DEFAULT_MLSERVER_VENV = Path.home() / ".cache" / "goldenpath-bench" / "mlserver-1.7"
MLSERVER_PINS = ["mlserver==1.7.*", "mlserver-sklearn==1.7.*", "uvloop<0.22", "httptools"]
MLSERVER_MODEL = "demo"
MLSERVER_BATCH = {"max_batch_size": 32, "max_batch_time": 0.002}
CHECK_ROWS = 5
"""Rows of the data every server must score exactly like the estimator before measuring."""
WRK_TIMEOUT = "5s"
"""A request unanswered this long counts as a timeout error (wrk's default is 2 s)."""
THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}

BARE_APP = textwrap.dedent(
    '''
    """The ceiling: one Starlette route calling the model's predict_proba directly."""
    import os, sys
    import mlflow, mlflow.pyfunc, numpy as np, orjson, uvicorn
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    mlflow.set_tracking_uri(os.environ["BENCH_TRACKING_URI"])
    mlflow.set_registry_uri(os.environ["BENCH_TRACKING_URI"])
    pyfunc = mlflow.pyfunc.load_model(os.environ["BENCH_MODEL_URI"])
    predict = pyfunc.get_raw_model().predict_proba
    names = os.environ["BENCH_FEATURES"].split(",")

    async def score(request):
        body = orjson.loads(await request.body())
        rows = np.asarray([[row[n] for n in names] for row in body["instances"]], dtype=np.float64)
        scores = predict(rows).tolist()
        return Response(orjson.dumps({"predictions": [{"scores": s} for s in scores]}),
                        media_type="application/json")

    app = Starlette(routes=[Route("/v1/predict", score, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), workers=1,
                log_level="warning", access_log=False)
    '''
)

EXPORT_MODEL = textwrap.dedent(
    """
    # The estimator behind the registered model, for MLServer, and a few rows of the data with
    # the estimator's own scores, to check every server against.
    import json, os, sys, warnings
    import joblib, mlflow, mlflow.pyfunc, numpy as np, sklearn
    from sklearn.datasets import load_breast_cancer

    uri = os.environ["BENCH_TRACKING_URI"]
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    estimator = mlflow.pyfunc.load_model(os.environ["BENCH_MODEL_URI"]).get_raw_model()
    joblib.dump(estimator, sys.argv[1])
    names = os.environ["BENCH_FEATURES"].split(",")
    data = load_breast_cancer(as_frame=True).data.rename(columns=lambda c: c.replace(" ", "_"))
    rows = data[names].to_numpy()[: int(sys.argv[2])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        scores = estimator.predict_proba(np.asarray(rows, dtype=np.float64)).tolist()
    print(json.dumps({"rows": rows.tolist(), "scores": scores, "sklearn": sklearn.__version__}))
    """
)

WRK_SCRIPT = textwrap.dedent(
    """
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    local f = io.open(os.getenv("BENCH_BODY"), "r")
    wrk.body = f:read("*a")
    f:close()
    """
)


@dataclass
class Server:
    """One running server: where to post, how to build its request body and read its scores."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    body: Callable[[list[float]], bytes]
    scores: Callable[[bytes], list[float]]
    metrics_url: str | None = None
    body_file: Path = field(default_factory=Path)


@dataclass
class Model:
    """The demo model as every server loads it."""

    tracking_uri: str
    model_uri: str
    features: list[str]
    joblib_file: Path
    rows: list[list[float]]
    scores: list[list[float]]
    sklearn_version: str


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def post(url: str, body: bytes, timeout: float = 10) -> bytes:
    request = urllib.request.Request(  # noqa: S310 - loopback only
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        data: bytes = response.read()
        return data


def get(url: str, timeout: float = 5) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
        data: bytes = response.read()
        return data


def wait_until(ready: Callable[[], object], process: subprocess.Popen[bytes], what: str) -> None:
    """Call ``ready`` until it stops raising; fail if the process exits or 180 s pass."""
    deadline = time.monotonic() + 180
    while True:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode} before it was ready")
        try:
            ready()
            return
        except (OSError, urllib.error.URLError):
            if time.monotonic() > deadline:
                raise SystemExit(f"{what} not ready after 180 s") from None
            time.sleep(0.5)


# --- the renders and the model -------------------------------------------------------------


def render_variant(catalog: Path, target: Path, batching: str) -> Path:
    """The template's default render with ``batching`` set, made with ``.venv``'s copier."""
    if (target / "src").is_dir():
        log(f"reusing the render in {target}")
        return target
    copier = REPO / ".venv" / "bin" / "copier"
    command = [str(copier) if copier.exists() else "copier", "copy", "--defaults", "-q"]
    command += ["-d", "template=realtime-inference", "-d", f"batching={batching}"]
    subprocess.run([*command, str(catalog), str(target)], check=True)
    answers = (target / ".copier-answers.yml").read_text()
    if f"batching: {batching}" not in answers and f"batching: '{batching}'" not in answers:
        log(f"note: {target.name}'s answers do not record batching={batching}")
    return target


def package_of(project: Path) -> str:
    return next(p.parent.name for p in (project / "src").glob("*/app.py"))


def gen_env(project: Path) -> dict[str, str]:
    return {
        **os.environ,
        **THREAD_ENV,
        "PYTHONPATH": str(project / "src"),
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }


def gen_output(env: dict[str, str], code: str, *args: str) -> str:
    return subprocess.run(
        [GEN_PYTHON, "-c", code, *args], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def prepare_model(project: Path, store: Path, work: Path) -> Model:
    """Train the render's demo model once (kept in ``store``) and export its estimator."""
    package = package_of(project)
    env = gen_env(project)
    subprocess.run(
        [GEN_PYTHON, "-m", f"{package}.demo_model", "--store", store],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    model_uri = gen_output(
        env, f"from {package}.config import Settings; print(Settings().model_uri)"
    )
    features = gen_output(
        env, f"from {package}.schemas import FEATURE_NAMES; print(','.join(FEATURE_NAMES))"
    ).split(",")
    tracking_uri = f"sqlite:///{store.resolve() / 'mlflow.db'}"
    joblib_file = work / "model.joblib"
    exported = json.loads(
        gen_output(
            {
                **env,
                "BENCH_TRACKING_URI": tracking_uri,
                "BENCH_MODEL_URI": model_uri,
                "BENCH_FEATURES": ",".join(features),
            },
            EXPORT_MODEL,
            str(joblib_file),
            str(CHECK_ROWS),
        ).splitlines()[-1]
    )
    return Model(
        tracking_uri=tracking_uri,
        model_uri=model_uri,
        features=features,
        joblib_file=joblib_file,
        rows=exported["rows"],
        scores=exported["scores"],
        sklearn_version=exported["sklearn"],
    )


# --- MLServer's environment ----------------------------------------------------------------


def mlserver_venv(venv: Path, sklearn_version: str) -> Path:
    """A venv with MLServer 1.7 (created once, reused), scikit-learn as in ``.venv-gen``."""
    python = venv / "bin" / "python"
    marker = venv / ".bench-complete"
    if not marker.exists():
        log(f"creating MLServer's venv in {venv} (once; a few minutes)")
        shutil.rmtree(venv, ignore_errors=True)
        venv.parent.mkdir(parents=True, exist_ok=True)
        base = gen_output(dict(os.environ), "import sys; print(sys._base_executable)")
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [
                python,
                "-m",
                "pip",
                "install",
                "-q",
                *MLSERVER_PINS,
                f"scikit-learn=={sklearn_version}",
            ],
            check=True,
        )
        marker.write_text(" ".join([*MLSERVER_PINS, f"scikit-learn=={sklearn_version}"]) + "\n")
    installed = subprocess.run(
        [
            python,
            "-c",
            "import sklearn, mlserver; print(sklearn.__version__, mlserver.__version__)",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    if installed[0] != sklearn_version:
        log(f"MLServer's venv has scikit-learn {installed[0]}: installing {sklearn_version}")
        subprocess.run(
            [python, "-m", "pip", "install", "-q", f"scikit-learn=={sklearn_version}"], check=True
        )
    log(f"MLServer {installed[1]}, scikit-learn {sklearn_version} in {venv}")
    return venv


# --- request bodies ------------------------------------------------------------------------


def instances_body(features: list[str]) -> Callable[[list[float]], bytes]:
    def body(row: list[float]) -> bytes:
        return json.dumps({"instances": [dict(zip(features, row, strict=True))]}).encode()

    return body


def instances_scores(answer: bytes) -> list[float]:
    scores: list[float] = json.loads(answer)["predictions"][0]["scores"]
    return scores


def v2_body(row: list[float]) -> bytes:
    """MLServer's V2 inference protocol: one FP64 tensor of shape [1, features]."""
    tensor = {"name": "input-0", "shape": [1, len(row)], "datatype": "FP64", "data": row}
    return json.dumps({"inputs": [tensor]}).encode()


def v2_scores(answer: bytes) -> list[float]:
    scores: list[float] = json.loads(answer)["outputs"][0]["data"]
    return scores


# --- the servers ---------------------------------------------------------------------------


def start_bare(model: Model, work: Path, logs: Path) -> Server:
    port = free_port()
    script = work / "bare.py"
    script.write_text(BARE_APP)
    env = {
        **os.environ,
        **THREAD_ENV,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "BENCH_TRACKING_URI": model.tracking_uri,
        "BENCH_MODEL_URI": model.model_uri,
        "BENCH_FEATURES": ",".join(model.features),
    }
    process = subprocess.Popen(
        [GEN_PYTHON, script, str(port)],
        cwd=work,
        env=env,
        stdout=(logs / "bare.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    body = instances_body(model.features)
    return Server(BARE, f"http://127.0.0.1:{port}/v1/predict", process, body, instances_scores)


def start_generated(name: str, project: Path, model: Model, logs: Path) -> Server:
    package = package_of(project)
    prefix = package.upper() + "_"
    port = free_port()
    env = {
        **gen_env(project),
        f"{prefix}MLFLOW_TRACKING_URI": model.tracking_uri,
        f"{prefix}MODEL_URI": model.model_uri,
        f"{prefix}PORT": str(port),
        f"{prefix}HOST": "127.0.0.1",
    }
    process = subprocess.Popen(
        [GEN_PYTHON, "-m", package],
        cwd=project,
        env=env,
        stdout=(logs / f"{name}.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    return Server(
        name,
        f"{base}/v1/predict",
        process,
        instances_body(model.features),
        instances_scores,
        metrics_url=f"{base}/metrics",
    )


def start_mlserver(name: str, venv: Path, model: Model, work: Path, logs: Path) -> Server:
    folder = work / name
    (folder / MLSERVER_MODEL).mkdir(parents=True, exist_ok=True)
    shutil.copy(model.joblib_file, folder / MLSERVER_MODEL / "model.joblib")
    http_port = free_port()
    settings = {
        "debug": False,
        "host": "127.0.0.1",
        "http_port": http_port,
        "grpc_port": free_port(),
        "metrics_port": free_port(),
    }
    (folder / "settings.json").write_text(json.dumps(settings, indent=2))
    model_settings: dict[str, object] = {
        "name": MLSERVER_MODEL,
        "implementation": "mlserver_sklearn.SKLearnModel",
        "parameters": {"uri": "./model.joblib", "extra": {"predict_fn": "predict_proba"}},
    }
    if name == MLSERVER_BATCHING:
        model_settings.update(MLSERVER_BATCH)
    (folder / MLSERVER_MODEL / "model-settings.json").write_text(
        json.dumps(model_settings, indent=2)
    )
    env = {**os.environ, **THREAD_ENV}
    env.pop("PYTHONPATH", None)
    process = subprocess.Popen(
        [venv / "bin" / "mlserver", "start", str(folder)],
        cwd=folder,
        env=env,
        stdout=(logs / f"{name}.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{http_port}/v2/models/{MLSERVER_MODEL}/infer"
    return Server(name, url, process, v2_body, v2_scores)


def check_predictions(server: Server, model: Model) -> float:
    """Largest difference between the server's scores and the estimator's on the check rows."""
    worst = 0.0
    for row, expected in zip(model.rows, model.scores, strict=True):
        got = server.scores(post(server.url, server.body(row)))
        if len(got) != len(expected):
            raise SystemExit(f"{server.name}: {len(got)} scores per row, expected {len(expected)}")
        worst = max(worst, *(abs(a - b) for a, b in zip(got, expected, strict=True)))
    # The same rows at once, a few times: a batching server must answer each caller with
    # its own row's scores, whatever batch the row was predicted in.
    bodies = [server.body(row) for row in model.rows] * 4
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        answers = list(pool.map(lambda body: server.scores(post(server.url, body)), bodies))
    for got, expected in zip(answers, model.scores * 4, strict=True):
        worst = max(worst, *(abs(a - b) for a, b in zip(got, expected, strict=True)))
    if not worst <= 1e-9:
        raise SystemExit(f"{server.name} scores differ from the estimator's by {worst}")
    return worst


# --- load ----------------------------------------------------------------------------------


def service_counts(server: Server) -> tuple[float, float]:
    """The generated service's shed (503) and deadline (504) answers so far, from its metrics:
    ``predict_shed_total`` (or else its 503 answers on ``/v1/predict``) and
    ``predict_deadline_exceeded_total`` (or else its 504 answers)."""
    if server.metrics_url is None:
        return 0.0, 0.0
    page = get(server.metrics_url).decode()
    shed = counter_total(page, "predict_shed_total")
    if shed is None:
        shed = counter_total(page, "http_requests_total", route="/v1/predict", status="503")
    deadline = counter_total(page, "predict_deadline_exceeded_total")
    if deadline is None:
        deadline = counter_total(page, "http_requests_total", route="/v1/predict", status="504")
    return shed or 0.0, deadline or 0.0


def run_wrk(server: Server, script: Path, duration: int, connections: int) -> WrkRun:
    """One wrk run on new connections; sheds and deadlines are the metrics' delta over it."""
    shed_before, deadline_before = service_counts(server)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    command += ["--timeout", WRK_TIMEOUT, "-s", str(script), server.url]
    out = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "BENCH_BODY": str(server.body_file)},
        timeout=duration + 60,
    ).stdout
    run = parse_wrk(out)
    if server.metrics_url is not None:
        shed, deadline = service_counts(server)
        run = replace(
            run, shed=round(shed - shed_before), deadline=round(deadline - deadline_before)
        )
    return run


# --- report --------------------------------------------------------------------------------


def print_table(
    table: dict[tuple[str, int], Summary], servers: list[str], connections: list[int]
) -> None:
    print(
        "| connections | server | requests/s | p50 ms | p99 ms | max ms | non-2xx | errors | "
        "of which 504 | shed (share) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for c in connections:
        for name in servers:
            s = table[(name, c)]
            shed = f"{s.shed} ({s.shed_share:.1%})" if name in GENERATED else "-"
            deadline = str(s.deadline) if name in GENERATED else "-"
            print(
                f"| {c} | {name} | {s.rps.show()} | {s.p50_ms.show(1)} | {s.p99_ms.show(1)} | "
                f"{s.max_ms.show(0)} | {s.non_2xx} | {s.errors} | {deadline} | {shed} |"
            )


def print_ratios(
    table: dict[tuple[str, int], Summary], servers: list[str], connections: list[int]
) -> None:
    if GEN_ADAPTIVE not in servers:
        return
    others = [name for name in servers if name != GEN_ADAPTIVE]
    print("\ngen-adaptive / other server, ratio of the medians (requests/s, p99):")
    print("| connections | " + " | ".join(others) + " |")
    print("|---|" + "---|" * len(others))
    for c in connections:
        mine = table[(GEN_ADAPTIVE, c)]
        cells = []
        for name in others:
            other = table[(name, c)]
            rps = mine.rps.median / other.rps.median if other.rps.median else math.nan
            p99 = mine.p99_ms.median / other.p99_ms.median if other.p99_ms.median else math.nan
            cells.append(f"{rps:.2f}x, {p99:.2f}x")
        print(f"| {c} | " + " | ".join(cells) + " |")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of all servers x connections")
    parser.add_argument("--connections", default="1,8,32,64", help="comma-separated counts")
    parser.add_argument(
        "--servers",
        default=",".join(SERVERS),
        help=f"comma-separated subset of {','.join(SERVERS)}",
    )
    parser.add_argument(
        "--catalog", type=Path, default=REPO / "templates", help="catalog to render from"
    )
    parser.add_argument(
        "--project",
        type=Path,
        help="folder for the two renders (batching-off, batching-adaptive) and the model store: "
        "reused when present, made there when not (default: a temporary folder)",
    )
    parser.add_argument("--mlserver-venv", type=Path, default=DEFAULT_MLSERVER_VENV)
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    args.servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    unknown = sorted(set(args.servers) - set(SERVERS))
    if unknown:
        parser.error(f"unknown servers {unknown}; choose from {','.join(SERVERS)}")
    args.connections = [int(c) for c in args.connections.split(",")]
    return args


def start_all(
    servers: list[str],
    renders: dict[str, Path],
    model: Model,
    venv: Path | None,
    work: Path,
    running: dict[str, Server],
) -> None:
    """Start every server (into ``running``, so that the caller stops them whatever happens),
    wait until each answers, and check its scores against the estimator's."""
    logs = work / "logs"
    for name in servers:
        if name == BARE:
            running[name] = start_bare(model, work, logs)
        elif name in GENERATED:
            running[name] = start_generated(name, renders[name], model, logs)
        else:
            assert venv is not None
            running[name] = start_mlserver(name, venv, model, work, logs)
    for name, server in running.items():
        server.body_file = work / f"body-{name}.json"
        server.body_file.write_bytes(server.body(model.rows[0]))
        first = server.body(model.rows[0])

        def answers(server: Server = server, first: bytes = first) -> bytes:
            return post(server.url, first)

        wait_until(answers, server.process, name)
        worst = check_predictions(server, model)
        log(
            f"{name}: ready; scores equal the estimator's on {CHECK_ROWS} rows, one at a time "
            f"and concurrently (max diff {worst:g})"
        )


def measure(
    running: dict[str, Server], args: argparse.Namespace, script: Path
) -> dict[tuple[str, int], list[WrkRun]]:
    """Interleaved rounds: each runs every server at every connection count (``run_order``)."""
    for server in running.values():  # warm-up, not recorded
        run_wrk(server, script, 2, 8)
    servers: list[str] = args.servers
    runs: dict[tuple[str, int], list[WrkRun]] = {
        (n, c): [] for n in servers for c in args.connections
    }
    for r in range(args.rounds):
        for i, c in enumerate(args.connections):
            for name in run_order(servers, r, i):
                run = run_wrk(running[name], script, args.duration, c)
                runs[(name, c)].append(run)
                log(
                    f"round {r + 1} c={c:<3} {name:18} {run.rps:7.0f} req/s  p50 "
                    f"{run.p50_ms:6.1f}  p99 {run.p99_ms:7.1f}  max {run.max_ms:7.1f} ms  "
                    f"non-2xx {run.non_2xx}  errors {run.errors} (504 {run.deadline})  "
                    f"shed {run.shed}"
                )
                time.sleep(0.5)
    return runs


def stop_all(running: dict[str, Server]) -> None:
    for server in running.values():
        server.process.terminate()
    for server in running.values():
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()


def main() -> None:
    args = parse_args()
    servers: list[str] = args.servers
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (apt-get install wrk)")
    started = time.monotonic()
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="bench-realtime-"))
    (work / "logs").mkdir()
    base = args.project.resolve() if args.project else work
    base.mkdir(parents=True, exist_ok=True)
    catalog = args.catalog.resolve()
    renders = {GEN_OFF: render_variant(catalog, base / "batching-off", "off")}
    if GEN_ADAPTIVE in servers:
        renders[GEN_ADAPTIVE] = render_variant(catalog, base / "batching-adaptive", "adaptive")
    model = prepare_model(renders[GEN_OFF], base / "store", work)
    venv = None
    if {MLSERVER, MLSERVER_BATCHING} & set(servers):
        venv = mlserver_venv(args.mlserver_venv.expanduser(), model.sklearn_version)
    script = work / "post.lua"
    script.write_text(WRK_SCRIPT)
    running: dict[str, Server] = {}
    try:
        start_all(servers, renders, model, venv, work, running)
        setup_seconds = time.monotonic() - started
        runs = measure(running, args, script)
    finally:
        stop_all(running)
    measure_seconds = time.monotonic() - started - setup_seconds

    table = {key: summarise(value) for key, value in runs.items()}
    print(
        f"\nwrk -t1 -d{args.duration}s --latency --timeout {WRK_TIMEOUT}, new connections per "
        f"run; {args.rounds} interleaved rounds; medians (min-max over the rounds); non-2xx, "
        "errors (socket errors + non-2xx other than 503 sheds), 504s and sheds summed over the "
        "rounds\n"
    )
    print_table(table, servers, args.connections)
    print_ratios(table, servers, args.connections)
    print("\ngoals (gen-adaptive, medians over the rounds):")
    goals = evaluate_goals(table)
    for goal in goals:
        print("  " + goal.show())
    print(
        f"\nset-up and start {setup_seconds:.0f} s, measuring {measure_seconds:.0f} s; "
        f"load average (1 min) {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after "
        f"({os.cpu_count()} cores); server logs in {work / 'logs'}"
    )
    if args.check and any(goal.met is False for goal in goals):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
