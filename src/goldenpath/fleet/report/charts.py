"""Two charts as inline SVG, drawn here rather than by a script library: the report must
open from a wiki page or an e-mail attachment with no network, and a chart that is plain
markup shows even where scripts are blocked. Every text is escaped."""

from __future__ import annotations

from html import escape

from goldenpath.fleet.kpis import TIER_KEYS, Totals

TEMPLATE_COLOURS = ("#2563eb", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#db2777", "#65a30d")
LEVEL_COLOURS = {
    "none": "#9ca3af",
    "bronze": "#b45309",
    "silver": "#64748b",
    "gold": "#ca8a04",
    "error": "#dc2626",
}
_BAR, _GAP, _LABEL, _WIDTH = 22, 8, 150, 640


def _text(x: float, y: float, text: str, cls: str = "", anchor: str = "start") -> str:
    extra = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


def _legend(items: list[tuple[str, str]], y: float) -> list[str]:
    parts, x = [], float(_LABEL)
    for label, colour in items:
        parts.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{colour}"/>')
        parts.append(_text(x + 16, y, label, "legend"))
        x += 28 + 7.5 * len(label)
    return parts


def _svg(chart_id: str, title: str, height: float, body: list[str]) -> str:
    return (
        f'<svg id="{chart_id}" class="chart" role="img" viewBox="0 0 {_WIDTH} {height:.0f}" '
        f'width="{_WIDTH}" height="{height:.0f}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _stacked_rows(
    rows: list[tuple[str, list[tuple[str, int, str]]]], top: float
) -> tuple[list[str], float]:
    """Horizontal stacked bars: (row label, [(segment name, count, colour)])."""
    peak = max((sum(c for _, c, _ in segments) for _, segments in rows), default=0) or 1
    scale = (_WIDTH - _LABEL - 60) / peak
    parts: list[str] = []
    y = top
    for label, segments in rows:
        parts.append(_text(_LABEL - 8, y + _BAR * 0.7, label, "axis", "end"))
        x = float(_LABEL)
        for name, count, colour in segments:
            if not count:
                continue
            width = count * scale
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" '
                f'height="{_BAR}" fill="{colour}" data-series="{escape(name)}" '
                f'data-count="{count}"><title>{escape(f"{label}: {name} {count}")}</title></rect>'
            )
            x += width
        total = sum(c for _, c, _ in segments)
        parts.append(_text(x + 6, y + _BAR * 0.7, str(total), "value"))
        y += _BAR + _GAP
    return parts, y


def template_colours(totals: Totals) -> dict[str, str]:
    """One colour per template, stable across both the chart and the table."""
    names = sorted(
        {
            t
            for versions in totals.version_distribution.values()
            for c in versions.values()
            for t in c
        }
    )
    return {name: TEMPLATE_COLOURS[i % len(TEMPLATE_COLOURS)] for i, name in enumerate(names)}


def version_chart(totals: Totals, latest: dict[str, str]) -> str:
    """Projects per catalog version (newest first), stacked by template."""
    colours = template_colours(totals)
    several = len(totals.version_distribution) > 1
    rows: list[tuple[str, list[tuple[str, int, str]]]] = []
    for label, versions in totals.version_distribution.items():
        for version, counts in versions.items():
            name = f"{version} (latest)" if latest.get(label) == version else version
            if several:
                name = f"{_short(label)} {name}"
            rows.append((name, [(t, counts.get(t, 0), colours[t]) for t in colours]))
    title = "Generated projects per catalog version"
    if not rows:
        return _svg("chart-versions", title, 40, [_text(_LABEL, 24, "No generated project.")])
    parts, bottom = _stacked_rows(rows, 30)
    parts.extend(_legend([(t, c) for t, c in colours.items()], 16))
    return _svg("chart-versions", title, bottom + 4, parts)


def readiness_chart(totals: Totals) -> str:
    """Rows per tier by readiness level reached."""
    title = "Readiness level reached, per tier"
    if not totals.readiness_assessed:
        note = "Readiness not assessed: run with --readiness."
        return _svg("chart-readiness", title, 40, [_text(_LABEL, 24, note)])
    rows = []
    for key in TIER_KEYS:
        levels = totals.readiness_levels.get(key)
        if levels is None:
            continue
        label = f"tier {key}" if key != "unknown" else "tier unknown"
        rows.append(
            (label, [(name, levels.get(name, 0), LEVEL_COLOURS[name]) for name in LEVEL_COLOURS])
        )
    parts, bottom = _stacked_rows(rows, 30)
    parts.extend(_legend(list(LEVEL_COLOURS.items()), 16))
    return _svg("chart-readiness", title, bottom + 4, parts)


_LABEL_CHARS = 24  # what fits left of the bars


def _short(label: str) -> str:
    return label if len(label) <= _LABEL_CHARS else "..." + label[-(_LABEL_CHARS - 3) :]
