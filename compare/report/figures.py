"""Report figures: one function per figure, each returning a plotly `go.Figure` (never a file).

Inputs are plain lists and polars frames holding source text as it was stored; every string that
plotly will show is escaped here (plotly renders a few tags such as <b> and <a> in labels).
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

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


def _layout(fig: go.Figure, height: int, **kwargs) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        font=FONT,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        hoverlabel={"align": "left"},
    )
    fig.update_layout(height=height, **kwargs)
    return fig


def coverage_matrix(cells: pl.DataFrame, docs: list[str], rows: list[str]) -> go.Figure:
    """Facts (`rows`, top to bottom) x documents; colour is the relation of the document's
    telling (STATUSES). `cells`: group (row label), anchor, doc, status, wording, for the cells
    that are not absent; every other cell is drawn absent."""
    row_of = {g: i for i, g in enumerate(rows)}
    col_of = {d: j for j, d in enumerate(docs)}
    z = np.zeros((len(rows), len(docs)), dtype=np.int8)
    status = [["absent"] * len(docs) for _ in rows]
    hover = [[""] * len(docs) for _ in rows]
    anchor = [""] * len(rows)
    for cell in cells.iter_rows(named=True):
        i, j = row_of[cell["group"]], col_of[cell["doc"]]
        z[i, j] = STATUSES.index(cell["status"])
        status[i][j] = cell["status"]
        anchor[i] = cell["anchor"]
        hover[i][j] = plain(cell["wording"], HOVER_WIDTH)
    n = len(STATUSES)
    scale = []
    for code, name in enumerate(STATUSES):
        scale += [[code / n, STATUS_COLORS[name]], [(code + 1) / n, STATUS_COLORS[name]]]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[plain(d) for d in docs],
            y=[plain(snippet(g, 48)) for g in rows],
            zmin=-0.5,
            zmax=n - 0.5,
            colorscale=scale,
            xgap=2,
            ygap=2,
            text=status,
            hovertext=hover,
            customdata=[[a] * len(docs) for a in anchor],
            hovertemplate="%{y}<br><b>%{x}</b>: %{text}<br>%{hovertext}<extra></extra>",
            showscale=False,  # the page prints the legend, so it reads without scripts
        )
    )
    fig.update_yaxes(autorange="reversed", type="category", automargin=True)
    fig.update_xaxes(side="top", type="category", automargin=True)
    return _layout(
        fig, height=max(260, 110 + 22 * len(rows)), margin={"l": 10, "r": 10, "t": 60, "b": 10}
    )


def distinctive_terms(terms: pl.DataFrame, top: int = 8) -> go.Figure:
    """Each document's most distinctive terms (z of the log-odds ratio), one panel per document in
    the order they come. `terms`: doc, term, count, log_odds, z."""
    docs = terms.unique("doc", maintain_order=True)["doc"].to_list()
    cols = min(4, max(1, len(docs)))
    rows = math.ceil(len(docs) / cols) if docs else 1
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[plain(snippet(d, 34)) for d in docs],
        horizontal_spacing=0.12,
        vertical_spacing=0.18 / max(1, rows - 1) if rows > 1 else 0.1,
    )
    for k, doc in enumerate(docs):
        best = terms.filter(pl.col("doc") == doc).sort("z", descending=True).head(top)
        best = best.filter(pl.col("z") > 0).reverse() if best["z"].max() > 0 else best.reverse()
        fig.add_trace(
            go.Bar(
                x=best["z"].to_list(),
                y=[plain(t) for t in best["term"].to_list()],
                orientation="h",
                marker_color=PALETTE[k % len(PALETTE)],
                name=plain(doc),
                customdata=np.column_stack([best["count"].to_numpy(), best["log_odds"].to_numpy()]),
                hovertemplate="%{y}: z %{x:.2f}, count %{customdata[0]},"
                " log-odds %{customdata[1]:.2f}<extra></extra>",
            ),
            row=k // cols + 1,
            col=k % cols + 1,
        )
    fig.update_yaxes(automargin=True)
    return _layout(fig, height=80 + 240 * rows, showlegend=False)


def speaker_share(shares: pl.DataFrame, top: int = 3, most: int = 9) -> go.Figure:
    """Share of each document's claim text by speaker, stacked. `shares`: doc, speaker, chars.
    Shown by name: each document's `top` speakers (at most `most` in all); the rest are 'others'."""
    docs = shares.unique("doc", maintain_order=True)["doc"].to_list()
    sums = shares.group_by("doc", "speaker").agg(pl.col("chars").sum())
    ranked = sums.filter(pl.col("speaker") != OWN_VOICE).sort(
        ["chars", "speaker"], descending=[True, False]
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
    doc_totals = {d: frame.filter(pl.col("doc") == d)["chars"].sum() or 1 for d in docs}
    fig = go.Figure()
    for k, speaker in enumerate(speakers):
        part = frame.filter(pl.col("speaker") == speaker).group_by("doc").agg(pl.col("chars").sum())
        chars = dict(part.iter_rows())
        color = {OWN_VOICE: OWN_VOICE_COLOR, "others": OTHERS_COLOR}.get(
            speaker, PALETTE[k % len(PALETTE)]
        )
        fig.add_trace(
            go.Bar(
                y=[plain(d) for d in docs],
                x=[100 * chars.get(d, 0) / doc_totals[d] for d in docs],
                orientation="h",
                name=plain(snippet(speaker, 40)),
                marker_color=color,
                hovertemplate=f"{plain(speaker)}<br>%{{y}}: %{{x:.0f}}% of the text<extra></extra>",
            )
        )
    fig.update_layout(
        barmode="stack",
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "traceorder": "normal"},
    )
    fig.update_xaxes(title={"text": "% of claim text"}, range=[0, 100])
    fig.update_yaxes(autorange="reversed", automargin=True)
    return _layout(fig, height=150 + 36 * len(docs) + 22 * math.ceil(len(speakers) / 5))


def agreement_matrix(docs: list[str], share: np.ndarray) -> go.Figure:
    """share[i, j]: the share of document i's claims that have a counterpart in document j."""
    labels = [plain(d) for d in docs]
    z = [[None if np.isnan(v) else round(float(v), 3) for v in row] for row in share]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=labels,
            y=labels,
            zmin=0,
            zmax=1,
            colorscale="Blues",
            xgap=2,
            ygap=2,
            texttemplate="%{z:.0%}",
            colorbar={"title": {"text": "share"}, "thickness": 12},
            hovertemplate="%{z:.0%} of the claims of <b>%{y}</b><br>have a counterpart in"
            " <b>%{x}</b><extra></extra>",
        )
    )
    fig.update_xaxes(side="top", type="category", automargin=True)
    fig.update_yaxes(autorange="reversed", type="category", automargin=True)
    return _layout(fig, height=160 + 48 * len(docs), margin={"l": 10, "r": 10, "t": 60, "b": 10})
