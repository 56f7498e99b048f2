"""The report's charts, drawn on the server as SVG with matplotlib: the same markup goes into the page and the
PDF. Each chart sits beside the table of its numbers, which is what screen readers and copy-paste use; the SVG
carries a title saying what it shows. Suppressed cells are drawn as empty bars labelled with what the table
shows ("<5", "[c]")."""

from __future__ import annotations

import hashlib
import io
import json
import re
import textwrap

import matplotlib

matplotlib.use("Agg")  # no display: drawn to files only

from django.core.cache import cache  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

CHART_STYLE = 4  # bump when the drawing changes, so cached charts are drawn again

# GOV.UK colours: blue for figures, dark grey for text; text kept as text (smaller, selectable, any font).
BLUE, DARK, GREY = "#1d70b8", "#0b0c0c", "#b1b4b6"
matplotlib.rcParams.update({
    "svg.fonttype": "none", "svg.hashsalt": "inclusion-reports", "font.family": "sans-serif",
    "font.sans-serif": ["Arial", "Helvetica", "DejaVu Sans"], "font.size": 10, "axes.edgecolor": GREY,
    "axes.labelcolor": DARK, "xtick.color": DARK, "ytick.color": DARK, "axes.spines.top": False,
    "axes.spines.right": False,
})  # fmt: skip


def _svg(figure: Figure, key: str, title: str) -> str:
    buffer = io.StringIO()
    # A fixed layout (no bbox_inches="tight"): matplotlib then draws the figure once, not twice.
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(figure)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.DOTALL)
    svg = _without_inline_styles(svg)
    # Several charts share a page: give each its own ids.
    svg = re.sub(r'id="([^"]+)"', rf'id="{key}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{key}-\1)", svg)
    svg = re.sub(r'xlink:href="#([^"]+)"', rf'xlink:href="#{key}-\1"', svg)
    svg = svg.replace("<svg ", f'<svg role="img" aria-labelledby="{key}-title" class="app-chart" ', 1)
    title_tag = f'<title id="{key}-title">{_escape(title)}</title>'
    return re.sub(r"(<svg[^>]*>)", lambda m: m.group(1) + title_tag, svg, count=1)


STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')
SVG_PROPERTIES = frozenset({
    "fill", "fill-opacity", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin", "stroke-opacity",
    "stroke-dasharray", "stroke-dashoffset", "stroke-miterlimit", "opacity", "font-size", "font-family",
    "font-weight", "font-style", "text-anchor", "clip-path",
})  # fmt: skip


def _without_inline_styles(svg: str) -> str:
    """matplotlib's style="..." attributes and <style> element as SVG presentation attributes: the page's
    Content Security Policy (style-src without 'unsafe-inline') refuses inline styles, which left the charts'
    text in the browser's default serif font and filled the console with errors. Presentation attributes are
    not styles, and WeasyPrint reads them as well."""
    svg = re.sub(r"\s*<defs>\s*<style[^>]*>.*?</style>\s*</defs>", "", svg, flags=re.DOTALL)
    svg = svg.replace("<svg ", '<svg stroke-linejoin="round" stroke-linecap="butt" ', 1)

    def attributes(match: re.Match) -> str:
        pairs = []
        for declaration in match.group(1).split(";"):
            name, _, value = (part.strip() for part in declaration.partition(":"))
            if name in SVG_PROPERTIES and value:
                pairs.append(f' {name}="{value}"')
        return "".join(pairs)

    return STYLE_ATTRIBUTE.sub(attributes, svg)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def bar_chart(key: str, title: str, rows: list[dict]) -> str:
    """Horizontal bars, one per row of a table ({label, value, display}); suppressed rows empty, labelled."""
    labels = [_wrapped(row["label"]) for row in rows]
    values = [row["value"] or 0 for row in rows]
    lines = sum(max(1, label.count("\n") + 1) for label in labels)
    height = max(1.4, 0.2 * lines + 0.08 * len(rows) + 0.6)
    figure, axes = plt.subplots(figsize=(5.0, height))
    figure.subplots_adjust(left=0.42, right=0.96, top=1 - 0.15 / height, bottom=0.42 / height)
    positions = range(len(rows))
    axes.barh(positions, values, color=BLUE, height=0.7)
    axes.set_yticks(list(positions), labels, linespacing=1.0)
    axes.invert_yaxis()
    axes.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    largest = max(values, default=0) or 1
    for position, row, value in zip(positions, rows, values, strict=True):
        axes.text(value + largest * 0.02, position, row["display"], va="center", color=DARK, fontsize=9)
    axes.tick_params(axis="y", labelsize=9)
    axes.tick_params(axis="x", labelsize=8)
    axes.set_xlim(0, largest * 1.15)
    return _svg(figure, key, title)


def trend_chart(key: str, title: str, month_labels: list[str], series: list[dict]) -> str:
    """One line per headline figure over the 12 months; a month with a suppressed figure is a gap."""
    figure, axes = plt.subplots(figsize=(8.0, 3.6))
    figure.subplots_adjust(left=0.07, right=0.98, top=0.78, bottom=0.15)
    styles = ["-o", "-s", "-^", "-D", "-v", "-x"]
    colours = [BLUE, "#d4351c", "#00703c", "#4c2c92", "#f47738", "#505a5f"]
    for index, line in enumerate(series):
        axes.plot(range(len(month_labels)), [v if v is not None else float("nan") for v in line["values"]],
                  styles[index % len(styles)], color=colours[index % len(colours)], label=line["label"],
                  markersize=4)  # fmt: skip
    axes.set_xticks(range(len(month_labels)), [label.replace(" ", "\n") for label in month_labels], fontsize=8)
    axes.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    largest = max((v for line in series for v in line["values"] if v is not None), default=0)
    axes.set_ylim(0, max(largest * 1.1, 1))
    axes.legend(loc="lower left", bbox_to_anchor=(0.0, 1.02), ncol=3, frameon=False, fontsize=9)
    return _svg(figure, key, title)


def _wrapped(label: str, width: int = 30) -> str:
    """Long labels on two or three lines rather than cut: three ethnic groups start "Black, Black British"."""
    return "\n".join(textwrap.wrap(label, width)[:3]) or label


def report_charts(report: dict) -> dict[str, str]:
    """{table key: SVG} for every table with rows, and "trend" for the 12-month chart. Each chart is kept in
    the cache for a day under a digest of what it shows, so the page, its PDF and a second visit draw it once."""
    wanted = {}
    for section in report["sections"]:
        for table in section["tables"]:
            if table["rows"]:
                wanted[table["key"]] = (bar_chart, f"chart-{table['key']}", table["title"], table["rows"])
    trend = report["trend"]
    if trend["series"]:
        wanted["trend"] = (trend_chart, "chart-trend", "Headline figures by month, the last 12 months",
                           trend["month_labels"], trend["series"])  # fmt: skip
    keys = {key: "report-chart:" + hashlib.sha256(json.dumps([CHART_STYLE, *args[1:]], sort_keys=True).encode())
            .hexdigest() for key, args in wanted.items()}  # fmt: skip
    found = cache.get_many(list(keys.values()))
    charts = {}
    for key, (draw, *args) in wanted.items():
        charts[key] = found.get(keys[key]) or draw(*args)
        if keys[key] not in found:
            cache.set(keys[key], charts[key], 24 * 3600)
    return charts
