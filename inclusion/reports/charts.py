"""The report's charts, drawn on the server as SVG with matplotlib: the same markup goes into the page and the
PDF. Each chart sits beside the table of its numbers, which is what screen readers and copy-paste use; the SVG
carries a title saying what it shows. Suppressed cells are drawn as empty bars labelled with what the table
shows ("<5", "[c]")."""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")  # no display: drawn to files only

from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

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
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.DOTALL)
    # Several charts share a page: give each its own ids.
    svg = re.sub(r'id="([^"]+)"', rf'id="{key}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{key}-\1)", svg)
    svg = re.sub(r'xlink:href="#([^"]+)"', rf'xlink:href="#{key}-\1"', svg)
    svg = svg.replace("<svg ", f'<svg role="img" aria-labelledby="{key}-title" class="app-chart" ', 1)
    title_tag = f'<title id="{key}-title">{_escape(title)}</title>'
    return re.sub(r"(<svg[^>]*>)", lambda m: m.group(1) + title_tag, svg, count=1)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def bar_chart(key: str, title: str, rows: list[dict]) -> str:
    """Horizontal bars, one per row of a table ({label, value, display}); suppressed rows empty, labelled."""
    labels = [_short(row["label"]) for row in rows]
    values = [row["value"] or 0 for row in rows]
    height = max(1.4, 0.26 * len(rows) + 0.5)
    figure, axes = plt.subplots(figsize=(4.2, height))
    positions = range(len(rows))
    axes.barh(positions, values, color=BLUE, height=0.7)
    axes.set_yticks(list(positions), labels)
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
    figure, axes = plt.subplots(figsize=(7.5, 3.2))
    styles = ["-o", "-s", "-^", "-D", "-v", "-x"]
    colours = [BLUE, "#d4351c", "#00703c", "#4c2c92", "#f47738", "#505a5f"]
    for index, line in enumerate(series):
        axes.plot(range(len(month_labels)), [v if v is not None else float("nan") for v in line["values"]],
                  styles[index % len(styles)], color=colours[index % len(colours)], label=line["label"],
                  markersize=4)  # fmt: skip
    axes.set_xticks(range(len(month_labels)), [label.replace(" ", "\n") for label in month_labels], fontsize=8)
    axes.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    axes.set_ylim(bottom=0)
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    return _svg(figure, key, title)


def _short(label: str, limit: int = 34) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def report_charts(report: dict) -> dict[str, str]:
    """{table key: SVG} for every table with rows, and "trend" for the 12-month chart."""
    charts = {}
    for section in report["sections"]:
        for table in section["tables"]:
            if table["rows"]:
                charts[table["key"]] = bar_chart(f"chart-{table['key']}", table["title"], table["rows"])
    trend = report["trend"]
    if trend["series"]:
        charts["trend"] = trend_chart("chart-trend", "Headline figures by month, the last 12 months",
                                      trend["month_labels"], trend["series"])  # fmt: skip
    return charts
