"""matplotlib charts rendered to PNG bytes, sized for a laptop screen.

Figures are built with `matplotlib.figure.Figure` directly, never pyplot: no global state, no display
backend, safe in any thread. Each function takes plain arrays and returns PNG bytes; `data_uri` embeds them.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from benchkit.results.stats import PERCENTILES, Quantiles

WIDTH_IN, HEIGHT_IN, DPI = 10.0, 3.8, 100
"""1000 x 380 px: two charts fit a laptop screen's height, text stays readable at 100 % zoom."""
COLORS = [matplotlib.colors.to_hex(c) for c in matplotlib.colormaps["tab10"](range(10))]
STATE_COLORS = {
    "NEW": "#bbbbbb", "SUBMITTED": "#1f77b4", "RUNNING": "#2ca02c", "SUCCEEDING": "#98df8a",
    "FAILING": "#ff9896", "COMPLETED": "#9467bd", "FAILED": "#d62728", "SUBMISSION_FAILED": "#8c564b",
    "PENDING_RERUN": "#e377c2", "other": "#7f7f7f",
}  # fmt: skip
Line = tuple[str, np.ndarray, np.ndarray]
"""(label, x, y)"""


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _figure(height: float = HEIGHT_IN) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
    # a fixed title position: left automatic, every draw measures the tick labels' boxes to lift the title above
    # an x axis on top, which these charts never have (a fifth of a chart's drawing time)
    with matplotlib.rc_context({"axes.titley": 1.0}):
        ax = fig.subplots()
    ax.grid(True, alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _png(fig: Figure, left: float = 0.08, right: float = 0.97) -> bytes:
    buf = io.BytesIO()
    # fixed margins: tight_layout would draw the figure a second time just to measure it
    fig.subplots_adjust(left=left, right=right, top=0.9, bottom=0.14 if fig.get_figheight() >= HEIGHT_IN else 0.2)
    # zlib level 1: about half the encoding time of the default (6): 47 -> 25 ms a chart, files 10-25 % larger
    fig.savefig(buf, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def lines(series: Sequence[Line], title: str, xlabel: str, ylabel: str, *, step: bool = False,
          styles: dict[str, str] | None = None, logy: bool = False, xticks: Sequence[str] | None = None,
          right: tuple[str, Sequence[Line]] | None = None) -> bytes:  # fmt: skip
    """One or more lines on shared axes; `styles` maps a label to a linestyle; `xticks` labels x = 0, 1, 2...;
    `right` = (axis label, lines) draws more lines against a second y axis on the right."""
    fig, ax = _figure()
    for i, (label, x, y) in enumerate(series):
        style = (styles or {}).get(label, "-")
        kwargs: dict[str, Any] = {"label": label, "color": COLORS[i % len(COLORS)], "linestyle": style}
        if xticks is not None:
            kwargs["marker"] = "o"
        if step:
            ax.step(x, y, where="post", **kwargs)
        else:
            ax.plot(x, y, **kwargs)
    handles, labels = ax.get_legend_handles_labels()
    if right is not None:
        ax2 = ax.twinx()
        for j, (label, x, y) in enumerate(right[1]):
            ax2.plot(x, y, label=label, color=COLORS[(len(series) + j) % len(COLORS)], linestyle=":")
        ax2.set_ylabel(right[0])
        ax2.set_ylim(bottom=0)
        more = ax2.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    if xticks is not None:
        ax.set_xticks(range(len(xticks)), list(xticks))
    if logy:
        ax.set_yscale("symlog", linthresh=1e-3)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.set_ylim(bottom=0 if not logy else None)
    if len(labels) > 1:
        ax.legend(handles, labels, loc="best", fontsize="small", ncol=2 if len(labels) > 4 else 1)
    return _png(fig, right=0.92 if right is not None else 0.97)


def stacked(x: np.ndarray, layers: dict[str, np.ndarray], title: str, xlabel: str, ylabel: str) -> bytes:
    """A stacked area chart (apps by state over time)."""
    fig, ax = _figure()
    labels = list(layers)
    colors = [STATE_COLORS.get(label, COLORS[i % len(COLORS)]) for i, label in enumerate(labels)]
    ax.stackplot(x, *[layers[label] for label in labels], labels=labels, colors=colors, alpha=0.85)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize="small", ncol=min(4, len(labels)))
    return _png(fig)


def cdfs(samples: Mapping[str, Sequence[float]], title: str, xlabel: str, *,
         styles: dict[str, str] | None = None) -> bytes:  # fmt: skip
    """Empirical CDFs, one per label, on a log x axis when values span more than two decades."""
    fig, ax = _figure()
    spread = [v for values in samples.values() for v in values if v > 0]
    for i, (label, values) in enumerate(samples.items()):
        data = np.sort(np.asarray(values, dtype=float))
        if data.size == 0:
            continue
        y = np.arange(1, data.size + 1) / data.size
        ax.step(data, y, where="post", label=f"{label} (n={data.size})", color=COLORS[i % len(COLORS)],
                linestyle=(styles or {}).get(label, "-"))  # fmt: skip
    if spread and max(spread) / max(min(spread), 1e-9) > 100:
        ax.set_xscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel="fraction of apps", ylim=(0, 1.02))
    ax.legend(loc="lower right", fontsize="small")
    return _png(fig)


def percentile_bars(table: Mapping[str, Quantiles], title: str, ylabel: str) -> bytes:
    """Grouped bars on a log y axis: one group per phase, one bar per percentile of the one set (stats.PERCENTILES).

    Phases span milliseconds (an API call) to minutes (a queue wait); on a linear axis the longest hides the
    rest. Values at or below zero (a server-clock span of 0 s) cannot be drawn on a log axis and are left out.
    """
    fig, ax = _figure()
    phases = list(table)
    stats = [f"p{q}" for q in PERCENTILES]
    width = 0.8 / len(stats)
    x = np.arange(len(phases))
    positive = [v for q in table.values() for s in stats if (v := q.stat(s)) is not None and v > 0]
    for i, stat in enumerate(stats):
        values = [table[p].stat(stat) for p in phases]
        heights = [v if v is not None and v > 0 else np.nan for v in values]
        ax.bar(x + (i - (len(stats) - 1) / 2) * width, heights, width, label=stat, color=COLORS[i])
    ax.set_xticks(x, [p.replace("_to_", "_to\n").replace("_", " ") for p in phases], fontsize="small")
    if positive:
        ax.set_yscale("log")
        ax.set_ylim(bottom=min(positive) / 2, top=max(positive) * 2)
    ax.set(title=title, ylabel=ylabel)
    ax.legend(fontsize="small", ncol=len(stats))
    return _png(fig)


def scatter(series: Sequence[Line], title: str, xlabel: str, ylabel: str) -> bytes:
    """Points, one colour per series (e.g. one dot per app: arrival time, latency)."""
    fig, ax = _figure()
    for i, (label, x, y) in enumerate(series):
        if x.size:
            ax.scatter(x, y, s=9, alpha=0.6, label=f"{label} (n={x.size})", color=COLORS[i % len(COLORS)],
                       linewidths=0)  # fmt: skip
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)
    if len(series) > 1:
        ax.legend(loc="upper left", fontsize="small", markerscale=2)
    return _png(fig)


def heatmap(matrix: np.ndarray, rows: Sequence[str], cols: Sequence[str], *, title: str, xlabel: str, ylabel: str,
            cbar: str, label: Callable[[float], str] = "{:.0f}".format) -> bytes:  # fmt: skip
    """A labelled heatmap (NaN cells are left blank, `label` writes the others), for suites over two dimensions."""
    fig, ax = _figure(height=max(3.0, 0.6 * len(rows) + 1.8))
    masked = np.ma.masked_invalid(matrix.astype(float))
    image = ax.imshow(masked, cmap="viridis", aspect="auto")
    ax.grid(False)
    ax.set_xticks(range(len(cols)), list(cols))
    ax.set_yticks(range(len(rows)), list(rows))
    for (r, c), value in np.ndenumerate(matrix):
        if np.isfinite(value):  # dark text on the bright end of viridis, white on the dark end
            bright = float(np.asarray(image.norm(value))) > 0.6
            ax.text(c, r, label(float(value)), ha="center", va="center", color="black" if bright else "white",
                    fontsize="small")  # fmt: skip
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    fig.colorbar(image, ax=ax, label=cbar)
    return _png(fig)


def bars(labels: Sequence[str], values: Sequence[float], title: str, ylabel: str) -> bytes:
    """Horizontal bars, one per label (end-of-run values of an instant query)."""
    fig, ax = _figure(height=max(2.2, 0.35 * len(labels) + 1.4))
    y = np.arange(len(labels))
    ax.barh(y, list(values), color=COLORS[0], height=0.5)
    ax.set_yticks(y, list(labels), fontsize="small")
    for i, value in enumerate(values):
        ax.text(value, i, f" {value:.4g}", va="center", fontsize="small")
    ax.set(title=title, xlabel=ylabel)
    longest = max((len(label) for label in labels), default=0)
    return _png(fig, left=min(0.5, 0.06 + 0.0075 * longest))
