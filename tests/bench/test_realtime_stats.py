"""The realtime benchmark's pure helpers: reading wrk and Prometheus output, judging goals.

No server runs here and nothing is timed: the benchmark itself stays out of the test suite.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from realtime_stats import (  # the bench folder is not a package: on sys.path above
    BARE,
    GEN_ADAPTIVE,
    GEN_OFF,
    MLSERVER,
    MLSERVER_BATCHING,
    Spread,
    Summary,
    WrkOutputError,
    WrkRun,
    counter_total,
    evaluate_goals,
    parse_wrk,
    rotated,
    run_order,
    summarise,
)

WRK_SHEDDING = """\
Running 5s test @ http://127.0.0.1:41234/v1/predict
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    39.12ms   12.34ms   1.25s    91.23%
    Req/Sec     1.63k   210.11     1.90k    85.00%
  Latency Distribution
     50%  812.00us
     75%   40.12ms
     90%   44.50ms
     99%  921.91ms
  8125 requests in 5.00s, 3.80MB read
  Socket errors: connect 0, read 2, write 1, timeout 3
  Non-2xx or 3xx responses: 17
Requests/sec:   1625.12
Transfer/sec:    777.77KB
"""

WRK_CLEAN = """\
Running 1s test @ http://127.0.0.1:18765/x
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.94ms    4.40ms  16.54ms   84.08%
    Req/Sec     0.93k   358.13     1.33k    70.00%
  Latency Distribution
     50%    3.66ms
     75%    7.55ms
     90%   11.67ms
     99%   16.15ms
  930 requests in 1.00s, 504.05KB read
Requests/sec:    928.50
Transfer/sec:    503.24KB
"""


def test_parse_wrk_reads_every_figure_in_milliseconds() -> None:
    run = parse_wrk(WRK_SHEDDING)
    assert run.requests == 8125
    assert run.rps == pytest.approx(1625.12)
    assert run.p50_ms == pytest.approx(0.812)
    assert run.p99_ms == pytest.approx(921.91)
    assert run.max_ms == pytest.approx(1250.0)  # the Latency line's Max, not Req/Sec's
    assert (run.non_2xx, run.socket_errors) == (17, 6)


def test_parse_wrk_without_errors_and_errors_exclude_sheds() -> None:
    clean = parse_wrk(WRK_CLEAN)
    assert (clean.non_2xx, clean.socket_errors, clean.errors) == (0, 0, 0)
    assert clean.max_ms == pytest.approx(16.54)
    shedding = parse_wrk(WRK_SHEDDING)
    assert shedding.errors == 17 + 6
    assert WrkRun(**{**shedding.__dict__, "shed": 17}).errors == 6  # 503 sheds are not errors


def test_parse_wrk_refuses_a_report_without_latency_distribution() -> None:
    with pytest.raises(WrkOutputError, match="99"):
        parse_wrk(WRK_CLEAN.replace("99%", "98%"))


def test_counter_total_sums_matching_samples_and_tells_absent_from_zero() -> None:
    page = """\
# HELP http_requests_total HTTP requests by route, method and status code.
# TYPE http_requests_total counter
http_requests_total{method="POST",route="/v1/predict",status="200"} 1000.0
http_requests_total{method="POST",route="/v1/predict",status="503"} 12.0
http_requests_total{method="GET",route="/readyz",status="503"} 3.0
http_requests_created{method="POST",route="/v1/predict",status="503"} 1.7e9
predict_shed_total{reason="queue_full"} 5.0
predict_shed_total{reason="deadline"} 2.0
"""
    assert counter_total(page, "http_requests_total", route="/v1/predict", status="503") == 12.0
    assert counter_total(page, "http_requests_total", status="503") == 15.0
    assert counter_total(page, "predict_shed_total") == 7.0
    assert counter_total(page, "predict_shed") is None
    assert counter_total(page, "http_requests_total", status="504") is None


def _run(rps: float, p99: float, max_ms: float = 100.0, errors: int = 0) -> WrkRun:
    return WrkRun(1000, rps, 1.0, p99, max_ms, 0, errors)


def test_summarise_takes_medians_with_range_and_sums_counts() -> None:
    late = WrkRun(1000, 200, 1.0, 5, 100.0, 3, 0, shed=1, deadline=2)
    summary = summarise([_run(100, 9), _run(300, 3), late])
    assert summary.rps == Spread(200, 100, 300)
    assert summary.p99_ms.median == 5
    assert (summary.requests, summary.errors, summary.shed, summary.deadline) == (3000, 2, 1, 2)
    assert summary.rps.show() == "200 (100-300)"
    assert Spread.of([4.0]).show(1) == "4.0"


def _table(adaptive: WrkRun, others: WrkRun) -> dict[tuple[str, int], Summary]:
    table = {}
    for c in (1, 8, 32, 64):
        for name in (BARE, GEN_OFF, MLSERVER, MLSERVER_BATCHING):
            table[(name, c)] = summarise([others])
        table[(GEN_ADAPTIVE, c)] = summarise([adaptive])
    return table


def test_goals_met_and_missed_on_the_medians() -> None:
    met = evaluate_goals(_table(_run(2000, 20, 400), _run(900, 21)))
    verdicts = {(g.connections, g.text): g.met for g in met}
    assert verdicts[(32, "rps gen-adaptive / mlserver")] is True  # 2.22x >= 2.0x
    assert verdicts[(32, "p99 gen-adaptive / mlserver-batching")] is True
    assert verdicts[(1, "p99 gen-adaptive / gen-off")] is True
    assert verdicts[(64, "max latency gen-adaptive")] is True
    missed = evaluate_goals(_table(_run(1700, 300, 600, errors=1), _run(900, 21)))
    verdicts = {(g.connections, g.text): g.met for g in missed}
    assert verdicts[(32, "rps gen-adaptive / mlserver")] is False  # 1.89x < 2.0x
    assert verdicts[(32, "rps gen-adaptive / mlserver-batching")] is True
    assert verdicts[(64, "p99 gen-adaptive")] is False
    assert verdicts[(64, "max latency gen-adaptive")] is False
    assert verdicts[(64, "errors other than 503 sheds, gen-adaptive")] is False
    assert verdicts[(1, "p99 gen-adaptive / gen-off")] is False
    assert "MISSED" in missed[0].show()


def test_goals_whose_servers_did_not_run_are_not_judged() -> None:
    table = {(GEN_ADAPTIVE, 8): summarise([_run(1000, 10)]), (BARE, 8): summarise([_run(1000, 10)])}
    goals = evaluate_goals(table)
    judged = {(g.connections, g.text) for g in goals if g.met is not None}
    assert judged == {(8, "rps gen-adaptive / bare"), (8, "p99 gen-adaptive / bare")}
    assert "not measured" in goals[0].show()


def test_rotated_starts_each_round_elsewhere() -> None:
    assert rotated(["a", "b", "c"], 0) == ["a", "b", "c"]
    assert rotated(["a", "b", "c"], 4) == ["b", "c", "a"]
    assert rotated([], 3) == []


def test_run_order_changes_who_goes_first_and_who_follows_whom() -> None:
    servers = ["a", "b", "c"]
    orders = [run_order(servers, r, step) for r in range(2) for step in range(3)]
    assert all(sorted(order) == servers for order in orders)
    assert {order[0] for order in orders} == set(servers)
    follows = {(order[i], order[i + 1]) for order in orders for i in range(2)}
    assert ("b", "a") in follows
    assert ("a", "b") in follows
