"""The pure part of ``bench_realtime.py``: reading wrk's report and a Prometheus text page,
summarising rounds and judging the goals. No I/O here, so it is unit-tested on its own
(tests/bench) without starting a server.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

BARE = "bare"
GEN_OFF = "gen-off"
GEN_ADAPTIVE = "gen-adaptive"
MLSERVER = "mlserver"
MLSERVER_BATCHING = "mlserver-batching"
SERVERS = (BARE, GEN_OFF, GEN_ADAPTIVE, MLSERVER, MLSERVER_BATCHING)
GENERATED = (GEN_OFF, GEN_ADAPTIVE)

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_DURATION = r"([\d.]+)(us|ms|s|m)\b"


class WrkOutputError(ValueError):
    """wrk's report lacks a figure the benchmark needs (wrong flags or a wrk that failed)."""


@dataclass(frozen=True)
class WrkRun:
    """One wrk run: throughput, latency (ms) and what went wrong."""

    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: int
    shed: int = 0
    """503 answers of a shedding server (from its metrics; 0 where it has none)."""
    deadline: int = 0
    """504 answers of a server with request deadlines (from its metrics); they are errors."""

    @property
    def errors(self) -> int:
        """Failures other than explicit 503 sheds: socket errors and other non-2xx answers."""
        return self.socket_errors + max(0, self.non_2xx - self.shed)


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNIT_MS[unit]


def _need(pattern: str, text: str) -> re.Match[str]:
    match = re.search(pattern, text, re.MULTILINE)
    if match is None:
        raise WrkOutputError(f"no match for {pattern!r} in wrk's output:\n{text}")
    return match


def parse_wrk(text: str) -> WrkRun:
    """The figures of ``wrk --latency`` output (its default report, any script)."""
    max_ms = _ms(*_need(rf"^\s+Latency\s+\S+\s+\S+\s+{_DURATION}", text).groups())
    p50 = _ms(*_need(rf"^\s+50(?:\.0+)?%\s+{_DURATION}", text).groups())
    p99 = _ms(*_need(rf"^\s+99(?:\.0+)?%\s+{_DURATION}", text).groups())
    requests = int(_need(r"^\s*(\d+) requests in ", text).group(1))
    rps = float(_need(r"^Requests/sec:\s+([\d.]+)", text).group(1))
    non_2xx_match = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    socket_match = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    socket_errors = sum(int(n) for n in socket_match.groups()) if socket_match else 0
    return WrkRun(
        requests=requests,
        rps=rps,
        p50_ms=p50,
        p99_ms=p99,
        max_ms=max_ms,
        non_2xx=int(non_2xx_match.group(1)) if non_2xx_match else 0,
        socket_errors=socket_errors,
    )


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)")


def counter_total(page: str, name: str, **labels: str) -> float | None:
    """Sum of a counter's samples whose labels include ``labels``; None if the page has none.

    ``name`` is the counter as exported (``http_requests_total``), not its family name.
    """
    found = False
    total = 0.0
    wanted = [f'{key}="{value}"' for key, value in labels.items()]
    for line in page.splitlines():
        match = _SAMPLE.match(line)
        if match is None or match.group(1) != name:
            continue
        if all(label in (match.group(2) or "") for label in wanted):
            found = True
            total += float(match.group(3))
    return total if found else None


@dataclass(frozen=True)
class Spread:
    """The median of the rounds and their range."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Iterable[float]) -> Spread:
        """Median, minimum and maximum of a non-empty series."""
        items = list(values)
        return cls(statistics.median(items), min(items), max(items))

    def show(self, digits: int = 0) -> str:
        """``median (low-high)``, or the median alone when every round agreed."""
        if self.low == self.high:
            return f"{self.median:.{digits}f}"
        return f"{self.median:.{digits}f} ({self.low:.{digits}f}-{self.high:.{digits}f})"


@dataclass(frozen=True)
class Summary:
    """One server at one connection count, over the rounds."""

    rounds: int
    rps: Spread
    p50_ms: Spread
    p99_ms: Spread
    max_ms: Spread
    requests: int
    non_2xx: int
    errors: int
    shed: int
    deadline: int

    @property
    def shed_share(self) -> float:
        """Share of all answers that were 503 sheds."""
        return self.shed / self.requests if self.requests else 0.0


def summarise(runs: Sequence[WrkRun]) -> Summary:
    """Medians and ranges of the rounds; counts (requests, errors, sheds) are totals."""
    return Summary(
        rounds=len(runs),
        rps=Spread.of(r.rps for r in runs),
        p50_ms=Spread.of(r.p50_ms for r in runs),
        p99_ms=Spread.of(r.p99_ms for r in runs),
        max_ms=Spread.of(r.max_ms for r in runs),
        requests=sum(r.requests for r in runs),
        non_2xx=sum(r.non_2xx for r in runs),
        errors=sum(r.errors for r in runs),
        shed=sum(r.shed for r in runs),
        deadline=sum(r.deadline for r in runs),
    )


@dataclass(frozen=True)
class Goal:
    """One goal: a measured figure against its limit. ``met`` is None when not measured."""

    connections: int
    text: str
    value: float | None
    limit: float
    at_most: bool
    unit: str = "x"

    @property
    def met(self) -> bool | None:
        """Whether the figure is within its limit (None: a server it needs was not run)."""
        if self.value is None:
            return None
        return self.value <= self.limit if self.at_most else self.value >= self.limit

    def show(self) -> str:
        """One line: the figure, the limit and the verdict."""
        sign = "<=" if self.at_most else ">="
        verdict = {True: "met", False: "MISSED", None: "not measured"}[self.met]
        value = "-" if self.value is None else f"{self.value:.2f}{self.unit}"
        return (
            f"c={self.connections:<3} {self.text:52} {value:>10}  "
            f"goal {sign} {self.limit:g}{self.unit}  {verdict}"
        )


Table = Mapping[tuple[str, int], Summary]


def _ratio(
    table: Table, connections: int, top: str, bottom: str, field: Callable[[Summary], Spread]
) -> float | None:
    upper, lower = table.get((top, connections)), table.get((bottom, connections))
    if upper is None or lower is None or field(lower).median == 0:
        return None
    return field(upper).median / field(lower).median


def _rps(summary: Summary) -> Spread:
    return summary.rps


def _p99(summary: Summary) -> Spread:
    return summary.p99_ms


def _versus(table: Table, connections: int, figure: str, other: str, limit: float) -> Goal:
    """gen-adaptive's requests/s (at least ``limit`` x) or p99 (at most) against ``other``'s."""
    field = _rps if figure == "rps" else _p99
    ratio = _ratio(table, connections, GEN_ADAPTIVE, other, field)
    return Goal(connections, f"{figure} gen-adaptive / {other}", ratio, limit, figure != "rps")


def evaluate_goals(table: Table) -> list[Goal]:
    """The goals for the generated service with adaptive batching, read on the medians."""
    at_64 = table.get((GEN_ADAPTIVE, 64))
    p99_64 = None if at_64 is None else at_64.p99_ms.median
    max_64 = None if at_64 is None else at_64.max_ms.median
    errors_64 = None if at_64 is None else float(at_64.errors)
    return [
        _versus(table, 32, "rps", MLSERVER, 2.0),
        _versus(table, 32, "rps", MLSERVER_BATCHING, 1.5),
        _versus(table, 32, "p99", MLSERVER, 1.0),
        _versus(table, 32, "p99", MLSERVER_BATCHING, 1.0),
        Goal(64, "p99 gen-adaptive", p99_64, 250, True, " ms"),
        Goal(64, "max latency gen-adaptive", max_64, 500, True, " ms"),
        Goal(64, "errors other than 503 sheds, gen-adaptive", errors_64, 0, True, ""),
        _versus(table, 1, "p99", GEN_OFF, 1.1),
        _versus(table, 8, "rps", BARE, 0.8),
        _versus(table, 8, "p99", BARE, 1.25),
    ]


def rotated(items: Sequence[str], by: int) -> list[str]:
    """``items`` starting at position ``by`` (modulo its length), wrapping around."""
    if not items:
        return []
    shift = by % len(items)
    return [*items[shift:], *items[:shift]]


def run_order(servers: Sequence[str], round_index: int, step: int) -> list[str]:
    """The servers' order for one connection count (``step``) of one round: rotated at every
    step, and reversed in every other round, so that no server always runs first or always
    right after the same other one (a run can leave the machine busier for the next)."""
    order = rotated(servers, round_index + step)
    return order[::-1] if round_index % 2 else order
