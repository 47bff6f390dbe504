"""Report figures: one function per figure, each returning a plotly figure as plain JSON
(`{"data": [...], "layout": {...}}`, never a file), which the page hands to `Plotly.newPlot`.

Plain dicts, not `go.Figure`: building and validating plotly objects cost a report page more than
everything else together (tests/test_report.py checks that plotly accepts every spec unchanged).
Inputs are plain lists and polars frames holding source text as it was stored; every string that
plotly will show is escaped here (plotly renders a few tags such as <b> and <a> in labels).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import polars as pl

from compare.report.data import OWN_VOICE, STATUSES
from compare.report.markup import plain, snippet

STATUS_COLORS = {  # the page's legend (page.html.j2, --cell-*) uses the same colours
    "absent": "#e9ecef",
    "only": "#8d99ae",
    "same": "#2a9d8f",
    "aligned": "#bdb2ff",  # told in two languages, the wording not compared
    "reworded": "#8ecae6",
    "elaborated": "#b8d8a8",
    "framed": "#f4a261",
    "conflict": "#d62839",
}
OWN_VOICE_COLOR = "#8d99ae"
OTHERS_COLOR = "#ced4da"
PALETTE = ["#264653", "#e76f51", "#2a9d8f", "#f4a261", "#6d597a", "#e9c46a", "#457b9d", "#b5838d"]
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12}
HOVER_WIDTH = 70  # characters per line of hover text
# plotly.py's "Blues" (ColorBrewer), spelled out: plotly.js has its own, other, "Blues"
BLUES = [
    [i / 8, f"rgb({c})"]
    for i, c in enumerate(
        [
            "247,251,255",
            "222,235,247",
            "198,219,239",
            "158,202,225",
            "107,174,214",
            "66,146,198",
            "33,113,181",
            "8,81,156",
            "8,48,107",
        ]
    )
]


TEMPLATE = "plotly_white"


@cache
def template() -> dict:
    """plotly's `plotly_white` template as JSON: every figure carries it, as `go.Figure` did."""
    import plotly.io as pio

    return pio.templates[TEMPLATE].to_plotly_json()


def _spec(data: list[dict], height: int, **layout) -> dict:
    base = {
        "template": template(),
        "font": FONT,
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        "hoverlabel": {"align": "left"},
        "height": height,
    }
    return {"data": data, "layout": {**base, **layout}}


def coverage_matrix(cells: pl.DataFrame, docs: list[str], rows: list[str]) -> dict:
    """Facts (`rows`, top to bottom) x documents; colour is the relation of the document's
    telling (STATUSES). `cells`: group (row label), anchor, doc, status, wording, for the cells
    that are not absent; every other cell is drawn absent."""
    row_of = {g: i for i, g in enumerate(rows)}
    col_of = {d: j for j, d in enumerate(docs)}
    z = [[0] * len(docs) for _ in rows]
    status = [["absent"] * len(docs) for _ in rows]
    hover = [[""] * len(docs) for _ in rows]
    anchor = [""] * len(rows)
    for group, cell_anchor, doc, cell_status, wording in cells.select(
        "group", "anchor", "doc", "status", "wording"
    ).iter_rows():
        i, j = row_of[group], col_of[doc]
        z[i][j] = STATUSES.index(cell_status)
        status[i][j] = cell_status
        anchor[i] = cell_anchor
        hover[i][j] = plain(wording, HOVER_WIDTH)
    n = len(STATUSES)
    scale = []
    for code, name in enumerate(STATUSES):
        scale += [[code / n, STATUS_COLORS[name]], [(code + 1) / n, STATUS_COLORS[name]]]
    trace = {
        "type": "heatmap",
        "z": z,
        "x": [plain(d) for d in docs],
        "y": [plain(snippet(g, 48)) for g in rows],
        "zmin": -0.5,
        "zmax": n - 0.5,
        "colorscale": scale,
        "xgap": 2,
        "ygap": 2,
        "text": status,
        "hovertext": hover,
        "customdata": [[a] * len(docs) for a in anchor],
        "hovertemplate": "%{y}<br><b>%{x}</b>: %{text}<br>%{hovertext}<extra></extra>",
        "showscale": False,  # the page prints the legend, so it reads without scripts
    }
    return _spec(
        [trace],
        height=max(260, 110 + 22 * len(rows)),
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        xaxis={"side": "top", "type": "category", "automargin": True},
        yaxis={"autorange": "reversed", "type": "category", "automargin": True},
    )


def distinctive_terms(terms: pl.DataFrame, top: int = 8) -> dict:
    """Each document's most distinctive terms (z of the log-odds ratio), one panel per document in
    the order they come. `terms`: doc, term, count, log_odds, z."""
    docs = terms.unique("doc", maintain_order=True)["doc"].to_list()
    cols = min(4, max(1, len(docs)))
    rows = math.ceil(len(docs) / cols) if docs else 1
    vertical = 0.18 / max(1, rows - 1) if rows > 1 else 0.1
    layout = _grid(rows, cols, 0.12, vertical, [plain(snippet(d, 34)) for d in docs])
    data = []
    for k, doc in enumerate(docs):
        best = terms.filter(pl.col("doc") == doc).sort("z", descending=True).head(top)
        best = best.filter(pl.col("z") > 0).reverse() if best["z"].max() > 0 else best.reverse()
        axis = "" if k == 0 else str(k + 1)
        data.append(
            {
                "type": "bar",
                "x": best["z"].to_list(),
                "y": [plain(t) for t in best["term"].to_list()],
                "orientation": "h",
                "marker": {"color": PALETTE[k % len(PALETTE)]},
                "name": plain(doc),
                "customdata": [
                    [float(c), float(o)]
                    for c, o in zip(best["count"].to_list(), best["log_odds"].to_list())
                ],
                "hovertemplate": "%{y}: z %{x:.2f}, count %{customdata[0]},"
                " log-odds %{customdata[1]:.2f}<extra></extra>",
                "xaxis": f"x{axis}",
                "yaxis": f"y{axis}",
            }
        )
    for name, axis in layout.items():
        if name.startswith("yaxis"):
            axis["automargin"] = True
    return _spec(data, height=80 + 240 * rows, showlegend=False, **layout)


def _grid(rows: int, cols: int, horizontal: float, vertical: float, titles: list[str]) -> dict:
    """The layout plotly's `make_subplots(rows, cols, ...)` makes: one x/y axis pair per cell,
    row 1 on top, and a title above each of the first `len(titles)` cells (the same arithmetic,
    so the same floats; tests/test_report.py compares)."""
    width = (1.0 - horizontal * (cols - 1)) / cols
    height = (1.0 - vertical * (rows - 1)) / rows
    layout: dict = {}
    titled = []
    n = 0
    for r in range(rows):
        below = rows - 1 - r  # rows under this one
        y_start = sum([height] * below) + below * vertical
        y_s, y_e = _clip(y_start), _clip(y_start + height)
        for c in range(cols):
            x_s = sum([width] * c) + c * horizontal
            x_e = x_s + width
            n += 1
            axis = "" if n == 1 else str(n)
            layout[f"xaxis{axis}"] = {
                "anchor": f"y{axis}",
                "domain": [max(0.0, x_s), min(1.0, x_e)],
            }
            layout[f"yaxis{axis}"] = {
                "anchor": f"x{axis}",
                "domain": [max(0.0, y_s), min(1.0, y_e)],
            }
            titled.append(((x_s + x_e) / 2.0, y_e))
    annotations = [
        {
            "font": {"size": 16},
            "showarrow": False,
            "text": title,
            "x": x,
            "xanchor": "center",
            "xref": "paper",
            "y": y,
            "yanchor": "bottom",
            "yref": "paper",
        }
        for title, (x, y) in zip(titles, titled)
        if title
    ]
    if annotations:
        layout["annotations"] = annotations
    return layout


def _clip(v: float) -> float:
    """make_subplots' rounding of a domain end within 0.01 outside [0, 1]."""
    return 0.0 if -0.01 < v < 0.0 else 1.0 if 1.0 < v < 1.01 else v


def speaker_share(shares: pl.DataFrame, top: int = 3, most: int = 9) -> dict:
    """Share of each document's claim text by speaker, stacked. `shares`: doc, speaker, chars.
    Shown by name: each document's `top` speakers (at most `most` in all); the rest are 'others'."""
    docs = shares.unique("doc", maintain_order=True)["doc"].to_list()
    sums = shares.group_by("doc", "speaker").agg(pl.col("chars").sum())
    # doc breaks a tie of chars and speaker: the order is the same in every process
    ranked = sums.filter(pl.col("speaker") != OWN_VOICE).sort(
        ["chars", "speaker", "doc"], descending=[True, False, False]
    )
    named = (
        ranked.group_by("doc", maintain_order=True).head(top)["speaker"].unique(maintain_order=True)
    )
    named = named.head(most).to_list()
    speakers = [OWN_VOICE] * sums["speaker"].is_in([OWN_VOICE]).any() + named
    frame = sums.with_columns(
        pl.when(pl.col("speaker").is_in(speakers))
        .then(pl.col("speaker"))
        .otherwise(pl.lit("others"))
    )
    if not frame["speaker"].is_in(speakers).all():
        speakers.append("others")
    totals = frame.group_by("doc", "speaker").agg(pl.col("chars").sum())
    chars: dict[tuple[str, str], int] = {(d, s): n for d, s, n in totals.iter_rows()}
    doc_totals = {}
    for d in docs:
        doc_totals[d] = sum(n for (doc, _), n in chars.items() if doc == d) or 1
    labels = [plain(d) for d in docs]
    data = []
    for k, speaker in enumerate(speakers):
        color = {OWN_VOICE: OWN_VOICE_COLOR, "others": OTHERS_COLOR}.get(
            speaker, PALETTE[k % len(PALETTE)]
        )
        data.append(
            {
                "type": "bar",
                "y": labels,
                "x": [100 * chars.get((d, speaker), 0) / doc_totals[d] for d in docs],
                "orientation": "h",
                "name": plain(snippet(speaker, 40)),
                "marker": {"color": color},
                "hovertemplate": f"{plain(speaker)}<br>%{{y}}: %{{x:.0f}}% of the text"
                "<extra></extra>",
            }
        )
    return _spec(
        data,
        height=150 + 36 * len(docs) + 22 * math.ceil(len(speakers) / 5),
        barmode="stack",
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "traceorder": "normal"},
        xaxis={"title": {"text": "% of claim text"}, "range": [0, 100]},
        yaxis={"autorange": "reversed", "automargin": True},
    )


def agreement_matrix(docs: list[str], share: np.ndarray) -> dict:
    """share[i, j]: the share of document i's claims that have a counterpart in document j."""
    labels = [plain(d) for d in docs]
    z = [[None if np.isnan(v) else round(float(v), 3) for v in row] for row in share]
    trace = {
        "type": "heatmap",
        "z": z,
        "x": labels,
        "y": labels,
        "zmin": 0,
        "zmax": 1,
        "colorscale": BLUES,
        "xgap": 2,
        "ygap": 2,
        "texttemplate": "%{z:.0%}",
        "colorbar": {"title": {"text": "share"}, "thickness": 12},
        "hovertemplate": "%{z:.0%} of the claims of <b>%{y}</b><br>have a counterpart in"
        " <b>%{x}</b><extra></extra>",
    }
    return _spec(
        [trace],
        height=160 + 48 * len(docs),
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        xaxis={"side": "top", "type": "category", "automargin": True},
        yaxis={"autorange": "reversed", "type": "category", "automargin": True},
    )


def layout_figure(fig, height: int, **kwargs):
    """The same page look on a plotly `go.Figure` (the source profile pages build those)."""
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        hoverlabel={"align": "left"},
    )
    fig.update_layout(height=height, **kwargs)
    return fig
