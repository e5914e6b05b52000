"""Benchmark: the generated realtime-inference service against a bare endpoint.

Renders the template with its defaults (or takes ``--project``), trains the demo model into
a local MLflow store, and starts two servers on 127.0.0.1 with one uvicorn worker each:

- the generated service (``python -m <package>``: FastAPI, strict validation, metrics
  middleware, JSON access log, request ids), and
- a minimal Starlette app with one route that parses the JSON body with orjson, builds the
  float array and calls the same model's ``predict_proba`` directly (the ceiling).

Both get the same bounded load (wrk, or a small Python load generator if wrk is missing) at
the same time, side by side (``--alternate``: one server at a time), for a few rounds; the
ratios are computed per round and their median is reported. Prints requests/s and p99 of both
and the ratios; the goal is >= 0.8x the requests/s and <= 1.25x the p99 of the bare
endpoint. Not a timed test: numbers depend on the machine (both servers and wrk share it).

    .venv/bin/python bench/bench_realtime.py [--project DIR] [--duration 10] [--connections 8]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import textwrap
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from common import REPO, render

GEN_PYTHON = Path(os.environ.get("GOLDENPATH_GEN_PYTHON", REPO / ".venv-gen" / "bin" / "python"))
RPS_GOAL = 0.8
P99_GOAL = 1.25

BARE_APP = textwrap.dedent(
    '''
    """The ceiling: one Starlette route calling the model's predict_proba directly."""
    import os, sys
    import mlflow, mlflow.pyfunc, numpy as np, orjson, uvicorn
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    mlflow.set_tracking_uri(os.environ["BENCH_TRACKING_URI"])
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

WRK_SCRIPT = textwrap.dedent(
    """
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    local f = io.open(os.getenv("BENCH_BODY"), "r")
    wrk.body = f:read("*a")
    f:close()
    """
)


Load = Callable[[str, Path, int, int], "Result"]


@dataclass
class Result:
    """One load run."""

    rps: float
    p99_ms: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback only
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} not ready after {timeout} s")


def run_wrk(url: str, body: Path, duration: int, connections: int) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script.name, url],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "BENCH_BODY": str(body)},
        timeout=duration + 30,
    ).stdout
    os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    if "Non-2xx" in out:
        raise SystemExit(f"non-2xx answers under load:\n{out}")
    return Result(rps, p99)


def run_python_load(url: str, body: Path, duration: int, connections: int) -> Result:
    """Fallback without wrk: keep-alive connections in threads (a weaker load generator)."""
    import http.client  # noqa: PLC0415
    from urllib.parse import urlsplit  # noqa: PLC0415

    payload = body.read_bytes()
    parts = urlsplit(url)
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + duration

    def client() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        mine = []
        while time.monotonic() < stop:
            start = time.perf_counter()
            conn.request("POST", parts.path, payload, {"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"status {response.status} under load")
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    return Result(len(latencies) / duration, latencies[int(len(latencies) * 0.99)] * 1000)


@dataclass
class Prepared:
    """A render with its demo model trained into a local store."""

    project: Path
    package: str
    env: dict[str, str]
    tracking_uri: str
    model_uri: str
    features: str


def gen_output(env: dict[str, str], code: str) -> str:
    return subprocess.run(
        [GEN_PYTHON, "-c", code], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def prepare(project: Path, work: Path) -> Prepared:
    package = next(p.parent.name for p in (project / "src").glob("*/app.py"))
    store = work / "store"
    env = {
        **os.environ,
        "PYTHONPATH": str(project / "src"),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "OMP_NUM_THREADS": "1",
    }
    subprocess.run(
        [GEN_PYTHON, "-m", f"{package}.demo_model", "--store", store],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    return Prepared(
        project=project,
        package=package,
        env=env,
        tracking_uri=f"sqlite:///{store / 'mlflow.db'}",
        model_uri=gen_output(
            env, f"from {package}.config import Settings; print(Settings().model_uri)"
        ),
        features=gen_output(
            env, f"from {package}.schemas import FEATURE_NAMES; print(','.join(FEATURE_NAMES))"
        ),
    )


def start_servers(prep: Prepared, work: Path) -> dict[str, tuple[str, subprocess.Popen[bytes]]]:
    """name -> (predict URL, process) for the generated service and the bare endpoint."""
    prefix = prep.package.upper() + "_"
    service_port, bare_port = free_port(), free_port()
    bare_script = work / "bare.py"
    bare_script.write_text(BARE_APP)
    service_env = {
        **prep.env,
        f"{prefix}MLFLOW_TRACKING_URI": prep.tracking_uri,
        f"{prefix}PORT": str(service_port),
        f"{prefix}HOST": "127.0.0.1",
    }
    bare_env = {
        **prep.env,
        "BENCH_TRACKING_URI": prep.tracking_uri,
        "BENCH_MODEL_URI": prep.model_uri,
        "BENCH_FEATURES": prep.features,
    }
    service = subprocess.Popen(
        [GEN_PYTHON, "-m", prep.package],
        cwd=prep.project,
        stdout=subprocess.DEVNULL,
        env=service_env,
    )
    bare = subprocess.Popen(
        [GEN_PYTHON, bare_script, str(bare_port)], cwd=work, stdout=subprocess.DEVNULL, env=bare_env
    )
    wait_ready(f"http://127.0.0.1:{service_port}/readyz", service)
    return {
        "generated service": (f"http://127.0.0.1:{service_port}/v1/predict", service),
        "bare endpoint": (f"http://127.0.0.1:{bare_port}/v1/predict", bare),
    }


def warm_up(
    load: Load, servers: dict[str, tuple[str, subprocess.Popen[bytes]]], body: Path
) -> None:
    """A short load on each (the bare app has no /readyz: retry until it answers)."""
    for url, process in servers.values():
        deadline = time.monotonic() + 120
        while True:
            try:
                load(url, body, 2, 2)
                break
            except (OSError, subprocess.CalledProcessError, AttributeError):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.5)


def report(results: dict[str, list[Result]], load: Load, args: argparse.Namespace) -> bool:
    """Print both servers' runs and the median per-round ratios; True when both goals hold."""
    mode = "alternating" if args.alternate else "side by side"
    print(f"load: {load.__name__}, {mode}, {args.connections} connections, {args.duration} s")
    for name, runs in results.items():
        rps = statistics.median(r.rps for r in runs)
        p99 = statistics.median(r.p99_ms for r in runs)
        all_runs = ", ".join(f"{r.rps:.0f}/{r.p99_ms:.1f}" for r in runs)
        print(
            f"{name:18} median {rps:7.1f} req/s  p99 {p99:6.2f} ms  (runs req/s/p99 ms: {all_runs})"
        )
    pairs = list(zip(results["generated service"], results["bare endpoint"], strict=True))
    rps_ratio = statistics.median(s.rps / b.rps for s, b in pairs)
    p99_ratio = statistics.median(s.p99_ms / b.p99_ms for s, b in pairs)
    ok_rps, ok_p99 = rps_ratio >= RPS_GOAL, p99_ratio <= P99_GOAL
    print(f"ratio requests/s: {rps_ratio:.2f} (goal >= {RPS_GOAL}) {'ok' if ok_rps else 'MISSED'}")
    print(f"ratio p99:        {p99_ratio:.2f} (goal <= {P99_GOAL}) {'ok' if ok_p99 else 'MISSED'}")
    print("(ratios: median over rounds of service / bare)")
    return ok_rps and ok_p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="an existing render (default: render one)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per load run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="load runs per server")
    parser.add_argument(
        "--alternate",
        action="store_true",
        help="load one server at a time instead of both at once (side by side, the default)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-realtime-"))
    project = args.project or render("realtime-inference", work / "service", vcs_ref="HEAD")
    prep = prepare(project, work)
    body = work / "body.json"
    body.write_text(json.dumps({"instances": [dict.fromkeys(prep.features.split(","), 1.0)]}))
    load: Load = run_wrk if shutil.which("wrk") else run_python_load
    servers = start_servers(prep, work)
    results: dict[str, list[Result]] = {name: [] for name in servers}
    try:
        warm_up(load, servers, body)
        for _ in range(args.rounds):
            if args.alternate:
                for name, (url, _process) in servers.items():
                    results[name].append(load(url, body, args.duration, args.connections))
                continue
            # Side by side: both get the same load at the same time, so whatever else runs
            # on the machine slows both alike and the ratio stays meaningful.
            with ThreadPoolExecutor(max_workers=len(servers)) as pool:
                futures = {
                    name: pool.submit(load, url, body, args.duration, args.connections)
                    for name, (url, _process) in servers.items()
                }
            for name, future in futures.items():
                results[name].append(future.result())
    finally:
        for _url, process in servers.values():
            process.terminate()
            process.wait(timeout=30)
    if not report(results, load, args) and args.check:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
