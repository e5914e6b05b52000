"""The shared cron partial (templates/_shared/partials/cron.jinja) against croniter.

The partial decides which schedules the catalog accepts and how late a run may be before
an alert fires, so it is checked against an independent implementation:

- validation: for expressions drawn from the supported syntax (numbers, month and weekday
  names, ``*``, ``*/n``, ``a-b``, ``a-b/n``, lists), the partial accepts exactly what
  ``croniter.is_valid(strict=True)`` accepts, except for three rules the partial adds
  because Kubernetes and GitHub Actions (robfig/cron) refuse what croniter allows: a range
  that runs backwards (croniter wraps it), 7 for Sunday, and 0 as a day or month;
- gaps: the shortest and longest gap between consecutive runs equal the ones found by
  iterating croniter's runs over the same 28-year window (2001-2028, wrapping around);
- day start: the time of day of a day's first run (the batch delivery deadline starts
  there) equals that of croniter's first run after a midnight.

The macros are evaluated through goldenpath's ``Evaluator``, rooted at the catalog like
copier's loader, so these tests also prove that validators can import the partial.
Iterating croniter costs ~30 us per run, so the full-window property draws schedules that
run once on the days they run (the time of day is drawn freely by a property whose
schedules run every day: then two days of runs hold every gap). Runtime: about 10 s.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import pytest
from croniter import croniter  # type: ignore[import-untyped]
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from template_harness.tools import TEMPLATES_DIR

from goldenpath.adapters.template_config import Evaluator, load

EVALUATOR = Evaluator(load(TEMPLATES_DIR))
WINDOW_START = datetime(2001, 1, 1, tzinfo=UTC)
WINDOW_END = datetime(2029, 1, 1, tzinfo=UTC)  # 28 years: weekdays and leap days repeat
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
NAMES = {name: n for n, name in enumerate(MONTHS, start=1)} | {
    name: n for n, name in enumerate(WEEKDAYS)
}
MINUTE, DAY = 60, 86400

PROPERTY = settings(
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _macro(call: str, expr: str) -> str:
    name = call.split("(", maxsplit=1)[0]
    source = f"{{% from '_shared/partials/cron.jinja' import {name} %}}{{{{ {call} }}}}"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the catalog must not trigger Jinja deprecations
        return str(EVALUATOR.render(source, {"expr": expr}))


def cron_problem(expr: str) -> str:
    return _macro("cron_problem(expr)", expr)


def cron_gaps(expr: str) -> tuple[int, int]:
    smallest, largest = _macro("cron_gaps(expr)", expr).split()
    return int(smallest), int(largest)


def cron_day_start(expr: str) -> int:
    return int(_macro("cron_day_start(expr)", expr))


def croniter_gaps(expr: str, until: datetime = WINDOW_END) -> tuple[int, int]:
    """(shortest, longest) gap in seconds between croniter's consecutive runs whose earlier
    run lies in [WINDOW_START, until)."""
    runs = croniter(expr, WINDOW_START - timedelta(seconds=1), ret_type=float)
    end = until.timestamp()
    previous = runs.get_next()
    gaps = []
    while previous < end:
        run = runs.get_next()
        gaps.append(run - previous)
        previous = run
    return int(min(gaps)), int(max(gaps))


# ----------------------------------------------------------------------------- examples


@pytest.mark.parametrize(
    ("expr", "problem"),
    [
        ("99 3 * * *", 'minute field "99": 99 is outside 0-59'),
        ("0 3 * * 8", 'day-of-week field "8": 8 is outside 0-6'),
        ("61 25 * * 1", 'minute field "61": 61 is outside 0-59'),
        ("0 25 * * 1", 'hour field "25": 25 is outside 0-23'),
        ("99 99 99 99 99", 'minute field "99"'),
        ("0 0 0 * *", 'day-of-month field "0": 0 is outside 1-31'),
        ("0 0 1 13 *", 'month field "13": 13 is outside 1-12'),
        ("0 0 31 2 *", "it never runs: February has no day 31"),
        ("0 0 30,31 2 *", "February has no day 30, 31"),
        ("0 0 31 4,6,9,11 *", "it never runs"),
        ("0 0 31 2 1", "it never runs"),  # as croniter's strict mode and robfig's users read it
        ("0 0 * * 7", "use 0 or SUN for Sunday"),
        ("0 0 * * sat-sun", "the range sat-sun runs backwards"),
        ("0 22-2 * * *", "the range 22-2 runs backwards"),
        ("*/0 * * * *", 'the step of "*/0" must be a whole number of at least 1'),
        ("1-5/x * * * *", "must be a whole number"),
        ("5/15 * * * *", 'a step needs a range or *: write "5-59/15"'),
        ("0 0 L * *", "L, W and # are not supported"),
        ("0 0 15W * *", "L, W and # are not supported"),
        ("0 0 * * 5L", "L, W and # are not supported"),
        ("0 0 * * 1#2", "L, W and # are not supported"),
        ("0 0 ? * *", "write * instead of ?"),
        ("0 0 * jan-foo *", '"foo" is not a number or a name (JAN-DEC)'),
        ("0 0 * * funday", '"funday" is not a number or a name (SUN-SAT)'),
        ("0 jan * * *", '"jan" is not a number'),
        ("0 3 * * *\n", "day-of-week field"),  # a trailing newline is not a field separator
        ("0 3 * * * ", "five fields"),
        ("0  3 * * *", "five fields"),
        ("0\t3 * * *", "five fields"),
        ("@daily", "five fields"),
        ("0 0 3 * * *", "five fields"),
        ("", "five fields"),
        ("0 ٣ * * *", "is not a number"),  # a non-ASCII digit
    ],
)
def test_invalid_schedules_are_refused_with_the_reason(expr: str, problem: str) -> None:
    assert problem in cron_problem(expr)


@pytest.mark.parametrize(
    "expr",
    [
        "0 3 * * *",
        "*/5 * * * *",
        "0 */6 * * *",
        "0 9 * * MON-FRI",
        "0 9 * * mon-fri",
        "0 0 1 JAN-DEC/3 *",
        "0 0 29 2 *",
        "5-5 0 * * *",
        "00 03 * * *",
        "0,30 1-3,22 1,15 * 0-6/2",
        "0 0 31 * *",
        "0 0 29,31 2 *",
    ],
)
def test_valid_schedules_are_accepted(expr: str) -> None:
    assert cron_problem(expr) == ""


@pytest.mark.parametrize(
    ("expr", "smallest", "largest"),
    [
        ("0 3 * * *", DAY, DAY),
        ("30 * * * *", 3600, 3600),
        ("0 */6 * * *", 6 * 3600, 6 * 3600),  # not "hourly": the old rule paged after 2.5 h
        ("*/7 * * * *", 4 * MINUTE, 7 * MINUTE),  # :56 to :00 is 4 minutes
        ("0 6 * * 1", 7 * DAY, 7 * DAY),
        ("0 9 * * 1-5", DAY, 3 * DAY),  # Friday to Monday
        ("0 3 1 * *", 28 * DAY, 31 * DAY),  # not "daily": the old rule paged most of the month
        ("0 0 31 * *", 31 * DAY, 61 * DAY),  # 31 August to 31 October
        ("0 0 29 2 *", 1461 * DAY, 1461 * DAY),  # leap days, four years apart
        ("0 0 13 * 5", DAY, 7 * DAY),  # the 13th OR a Friday (cron's OR rule)
        ("0 0 */10 * *", DAY, 10 * DAY),  # the 31st to the 1st; the 21st to the 1st
        ("0 0 * * */2", DAY, 2 * DAY),  # Saturday (6) to Sunday (0)
        ("5-5 0 * * *", DAY, DAY),  # a range of one value is that value
        ("0 0 */1 * 1", 7 * DAY, 7 * DAY),  # */1 is unrestricted: Mondays only (as robfig)
        ("15,45 2,22 */10 * *", 30 * MINUTE, 10 * DAY - (20 * 3600 + 30 * MINUTE)),
    ],
)
def test_gaps_of_known_schedules(expr: str, smallest: int, largest: int) -> None:
    assert cron_gaps(expr) == (smallest, largest)


@pytest.mark.parametrize(
    "expr",
    [
        "0 3 1 * *",
        "0 0 29 2 *",
        "0 0 13 * 5",
        "15,45 2,22 */10 * *",
        "0 12 * 2-3 6",
        "0 0 1-7 1 2",  # its longest gap runs from 2028 into 2029: the window wraps around
    ],
)
def test_known_gaps_agree_with_croniter_over_the_whole_window(expr: str) -> None:
    assert cron_gaps(expr) == croniter_gaps(expr)


def test_gaps_of_an_invalid_schedule_are_empty() -> None:
    assert _macro("cron_gaps(expr)", "0 0 31 2 *") == ""


@pytest.mark.parametrize(
    ("expr", "minutes"),
    [
        ("0 3 * * *", 3 * 60),
        ("30 * * * *", 30),
        ("*/7 * * * *", 0),
        ("0 6 * * 1", 6 * 60),
        ("15,45 2,22 */10 * *", 2 * 60 + 15),
        ("50 23 * * *", 23 * 60 + 50),
        ("5-5 0 * * *", 5),
    ],
)
def test_day_start_of_known_schedules(expr: str, minutes: int) -> None:
    assert cron_day_start(expr) == minutes


def test_day_start_of_an_invalid_schedule_is_empty() -> None:
    assert _macro("cron_day_start(expr)", "0 0 31 2 *") == ""


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(60, "1 minute"), (2400, "40 minutes"), (9000, "2.5 hours"), (102600, "28.5 hours"),
     (604800, "7 days"), (2694600, "31.2 days")],
)  # fmt: skip
def test_duration_text(seconds: int, text: str) -> None:
    source = "{% from '_shared/partials/cron.jinja' import duration_text %}{{ duration_text(s) }}"
    assert EVALUATOR.render(source, {"s": seconds}) == text


# ------------------------------------------------------------------- validation property


_NAME = st.builds(
    lambda name, case: case(name),
    st.sampled_from(sorted(NAMES)),
    st.sampled_from([str.lower, str.upper, str.title]),
)
_STEP = st.integers(0, 40).map(str)


def _field(low: int, high: int, names: list[str]) -> st.SearchStrategy[str]:
    """Mostly values the field allows, with values just outside it, any number up to 99
    and names of either kind mixed in: most expressions are valid or nearly so."""
    number = st.one_of(
        st.integers(low, high), st.integers(low, high), st.integers(0, high + 2), st.integers(0, 99)
    ).map(str)
    own_names = (
        st.tuples(st.sampled_from(names), st.sampled_from([str.lower, str.upper])).map(
            lambda pair: pair[1](pair[0])
        )
        if names
        else number
    )
    atom = st.one_of(number, number, own_names, _NAME)
    part = st.one_of(
        st.just("*"),
        _STEP.map("*/{}".format),
        atom,
        st.builds("{}-{}".format, atom, atom),
        st.builds("{}-{}/{}".format, atom, atom, _STEP),
    )
    return st.lists(part, min_size=1, max_size=3).map(",".join)


EXPRESSIONS = st.builds(
    "{} {} {} {} {}".format,
    _field(0, 59, []),
    _field(0, 23, []),
    _field(1, 31, []),
    _field(1, 12, MONTHS),
    _field(0, 6, WEEKDAYS),
)


def robfig_refuses_what_croniter_allows(expr: str) -> bool:
    """Ranges that run backwards, 7 as a weekday, 0 as a day of the month or a month."""

    def value(token: str) -> int:
        return NAMES.get(token.lower(), int(token) if token.isdecimal() else -1)

    for index, field in enumerate(expr.split(" ")):
        for part in field.split(","):
            span = part.partition("/")[0]
            bounds = [value(t) for t in span.split("-")] if span != "*" else []
            if len(bounds) == 2 and bounds[0] > bounds[1]:
                return True
            if (index == 4 and 7 in bounds) or (index in {2, 3} and 0 in bounds):
                return True
    return False


@settings(PROPERTY, max_examples=400)
@given(EXPRESSIONS)
@example("0 0 31 2 *")  # croniter's strict mode: a day the months never have
@example("0 0 * * 7-7")
@example("0 0 0 * *")
def test_the_partial_accepts_what_croniter_accepts(expr: str) -> None:
    expected = croniter.is_valid(expr, strict=True) and not robfig_refuses_what_croniter_allows(
        expr
    )
    problem = cron_problem(expr)
    assert (problem == "") == expected, problem or "accepted, but croniter refuses it"


# ------------------------------------------------------------------------- gap property


def _in(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


def _ranges(low: int, high: int, width: int) -> st.SearchStrategy[str]:
    """``a-b`` with a < b and at most ``width`` apart, sometimes with a step."""
    pairs = _in(low, high - 1).flatmap(
        lambda a: st.tuples(st.just(a), _in(a + 1, min(high, a + width)))
    )
    return st.one_of(
        pairs.map("{0[0]}-{0[1]}".format),
        st.builds("{0[0]}-{0[1]}/{1}".format, pairs, _in(2, 9)),
    )


def _day_field(low: int, high: int, width: int, names: list[str]) -> st.SearchStrategy[str]:
    """A field that never covers its whole range unless it is ``*``: croniter and robfig
    disagree whether such a day field restricts (and so whether the OR rule applies)."""
    single = _in(low, high).map(str)
    if names:
        single = single | _in(0, len(names) - 1).map(lambda i: names[i].upper())
    return st.one_of(
        st.just("*"),
        _in(2, 9).map("*/{}".format),
        st.lists(single, min_size=1, max_size=3, unique=True).map(",".join),
        _ranges(low, high, width),
    )


_MONTH_NAME_RANGES = _in(0, 10).flatmap(
    lambda a: _in(a + 1, 11).map(lambda b: f"{MONTHS[a].upper()}-{MONTHS[b]}")
)
SPARSE_DAY_SCHEDULES = st.builds(
    "{} {} {} {} {}".format,
    _in(0, 59),
    _in(0, 23),
    _day_field(1, 31, 20, []),
    _day_field(1, 12, 11, MONTHS) | _MONTH_NAME_RANGES,
    _day_field(0, 6, 4, WEEKDAYS),
)


@settings(PROPERTY, max_examples=20)
@given(SPARSE_DAY_SCHEDULES)
def test_gaps_equal_croniter_runs_over_the_window(expr: str) -> None:
    assume(cron_problem(expr) == "")
    assert cron_gaps(expr) == croniter_gaps(expr)


def _time_field(high: int) -> st.SearchStrategy[str]:
    part = st.one_of(
        st.just("*"),
        _in(2, high).map("*/{}".format),
        _in(0, high).map(str),
        _ranges(0, high, high),
    )
    return st.lists(part, min_size=1, max_size=3).map(",".join)


@settings(PROPERTY, max_examples=60)
@given(st.builds("{} {} * * *".format, _time_field(59), _time_field(23)))
def test_gaps_within_a_day_equal_croniter_runs(expr: str) -> None:
    """Every day runs the same times, so the runs of one day and the next hold every gap."""
    assume(cron_problem(expr) == "")
    assert cron_gaps(expr) == croniter_gaps(expr, until=WINDOW_START + timedelta(days=1))


def test_an_equal_range_is_one_value_where_croniter_reads_the_whole_field() -> None:
    """croniter reads ``5-5`` as the whole field, unlike robfig and Vixie cron, so the gap
    properties draw only ranges with a < b."""
    assert croniter.expand("5-5 0 * * *")[0][0] == ["*"]
    assert cron_gaps("5-5 0 * * *") == (DAY, DAY)


@settings(PROPERTY, max_examples=40)
@given(
    st.builds(
        "{} {} {} {} {}".format,
        _time_field(59),
        _time_field(23),
        _day_field(1, 31, 20, []),
        _day_field(1, 12, 11, MONTHS),
        _day_field(0, 6, 4, WEEKDAYS),
    )
)
def test_day_start_is_the_time_of_the_first_run_of_a_day(expr: str) -> None:
    """The window starts at midnight, so croniter's first run in it opens its day."""
    assume(cron_problem(expr) == "")
    first = croniter(expr, WINDOW_START - timedelta(seconds=1)).get_next(datetime)
    assert cron_day_start(expr) == first.hour * 60 + first.minute
