"""Store -> a source profile page: one offline HTML file per source (or source pair), linked from
the index. The numbers come from `compare.profile.profile` (the `source_*` queries over the views
`v_source_pair` / `v_source_profile`); the figures are plotly, one function each, and plotly.js
is inlined or shared exactly as for event reports (the page makes no network request)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from urllib.parse import quote

import jinja2
import plotly.graph_objects as go
import polars as pl
from markupsafe import Markup

from compare import atomic, store
from compare.profile import profile, public
from compare.report import figures
from compare.report.data import RELATIONS
from compare.report.markup import plain

__all__ = ["write_profile"]


def write_profile(
    *,
    db: str | Path | None,
    source: str,
    against: str | None = None,
    out: str | Path = "reports",
    plotly: str | None = None,
) -> tuple[Path, dict]:
    """Write `<out>/profile-<slug(source)>[-vs-<slug(against)>].html` and, when `out` holds an
    index narrative-compare wrote, rewrite it so it links the page. Returns (path, profile)."""
    from compare.report import PLOTLY_FILE, _plotlyjs, _stale, slug

    con = store.open_store(db, read_only=True)
    try:
        p = profile(con, source, against, db=db)
    finally:
        con.close()
    out = store.writable_folder(Path(out))
    name = f"profile-{slug(p['source'])}" + (f"-vs-{slug(p['against'])}" if p["against"] else "")
    mode = plotly or ("shared" if (out / PLOTLY_FILE).is_file() else "inline")
    path = out / f"{name}.html"
    files = {path: render(p, plotly=mode)}
    if mode == "shared" and _stale(out / PLOTLY_FILE, text := _plotlyjs()):
        files[out / PLOTLY_FILE] = text
    index = _index(out, {path: files[path]})
    if index is not None:
        files[out / "index.html"] = index
    atomic.write_all(files, what="the profile")
    return path, p


def _index(out: Path, pages: dict[Path, str]) -> str | None:
    """The index page again with the profile pages linked, when `out` has one of ours."""
    from compare.report import foreign_index, index_page, report_summaries

    index = out / "index.html"
    if not index.is_file() or foreign_index(index):
        return None
    return index_page(out, report_summaries(out), profiles=pages)


def render(p: dict, *, plotly: str = "inline") -> str:
    """The profile page for `p` (from `compare.profile.profile`)."""
    from compare.report import PLOTLY_FILE, PROFILE_META, _figure_html, _now, _plotlyjs, slug

    t = p["tables"]
    figs = {
        "coverage": coverage_bars(t["coverage"]),
        "relations": relation_bars(t["relations"]),
        "timeline": timeline(t["timeline"]),
    }
    if p["substitutions"]:
        figs["substitutions"] = ranked_bars(
            [f"{s['source_words']} ← {s['other_words']}" for s in p["substitutions"]],
            [s["score"] for s in p["substitutions"]],
            "log-odds z of the substitution",
        )
    if p["terms"]:
        figs["terms"] = ranked_bars(
            [x["term"] for x in p["terms"]], [x["z"] for x in p["terms"]], "log-odds z of the term"
        )
    html = {name: Markup(_figure_html(fig, f"fig-{name}")) for name, fig in figs.items()}
    title = f"{p['source']}" + (f" against {p['against']}" if p["against"] else "") + ": profile"
    relations = sorted(
        {r for rel in p["relations"].values() for r in rel},
        key=lambda r: (RELATIONS.index(r) if r in RELATIONS else 99, r),
    )
    counts = {
        (s["source_words"], s["other_words"]): c
        for s in t["substitution_rows"].filter(pl.col("is_source")).iter_rows(named=True)
        for c in [s["count"]]
    }
    return _page().render(
        title=title,
        meta=PROFILE_META,
        p=p,
        summary=t["summary"].row(0, named=True) if t["summary"].height else {},
        coverage=t["coverage"].to_dicts(),
        relations=relations,
        timeline=t["timeline"].to_dicts(),
        omissions=t["omissions"].head(20).to_dicts(),
        speakers=t["speakers"].head(15).to_dicts(),
        sub_counts=counts,
        href=lambda event_id: "./" + quote(slug(event_id)) + ".html",
        figs=html,
        plotlyjs=Markup(_plotlyjs()) if plotly == "inline" else None,
        plotly_src=PLOTLY_FILE,
        generated=_now(),
        json=public(p),
    )


def coverage_bars(coverage: pl.DataFrame) -> go.Figure:
    """Per other source: the facts it tells and how many of them the source tells too."""
    names = [plain(n) for n in coverage["other_source"].to_list()]
    fig = go.Figure(
        [
            go.Bar(
                name="facts the other tells",
                y=names,
                x=coverage["other_facts"].to_list(),
                orientation="h",
                marker_color=figures.OTHERS_COLOR,
            ),
            go.Bar(
                name="told by both",
                y=names,
                x=coverage["shared_facts"].to_list(),
                orientation="h",
                marker_color=figures.STATUS_COLORS["same"],
            ),
        ]
    )
    return figures.layout_figure(
        fig, 80 + 40 * max(1, len(names)), barmode="overlay", xaxis_title="facts"
    )


def relation_bars(relations: pl.DataFrame) -> go.Figure:
    """Per other source: its firm pairs with the source, stacked by relation."""
    fig = go.Figure()
    for relation in sorted(
        set(relations["relation"].to_list()),
        key=lambda r: (RELATIONS.index(r) if r in RELATIONS else 99, r),
    ):
        rows = relations.filter(pl.col("relation") == relation)
        fig.add_bar(
            name=relation,
            y=[plain(n) for n in rows["other_source"].to_list()],
            x=rows["pairs"].to_list(),
            orientation="h",
            marker_color=figures.STATUS_COLORS.get(relation, "#999"),
        )
    n = relations["other_source"].n_unique()
    return figures.layout_figure(
        fig, 80 + 40 * max(1, n), barmode="stack", xaxis_title="firmly aligned pairs"
    )


def timeline(rows: pl.DataFrame) -> go.Figure:
    """Event by event, per other source: the share of firm pairs that differ (and coverage)."""
    fig = go.Figure()
    for i, other in enumerate(sorted(set(rows["other_source"].to_list()))):
        r = rows.filter(pl.col("other_source") == other)
        x = [d or e for d, e in zip(r["date"].to_list(), r["event_id"].to_list(), strict=True)]
        color = figures.PALETTE[i % len(figures.PALETTE)]
        fig.add_scatter(
            name=f"{plain(other)}: pairs that differ",
            x=x,
            y=r["differing_share"].to_list(),
            mode="lines+markers",
            line={"color": color},
            text=[plain(e) for e in r["event_id"].to_list()],
            hovertemplate="%{text}<br>%{y:.0%} of firm pairs differ<extra></extra>",
        )
        fig.add_scatter(
            name=f"{plain(other)}: coverage",
            x=x,
            y=r["coverage"].to_list(),
            mode="lines+markers",
            line={"color": color, "dash": "dot"},
            text=[plain(e) for e in r["event_id"].to_list()],
            hovertemplate="%{text}<br>tells %{y:.0%} of its facts<extra></extra>",
        )
    return figures.layout_figure(fig, 320, yaxis={"tickformat": ".0%", "range": [0, 1.05]})


def ranked_bars(labels: list[str], values: list[float], title: str) -> go.Figure:
    """A ranked list as horizontal bars, the first on top."""
    fig = go.Figure(
        go.Bar(
            y=[plain(x) for x in labels][::-1],
            x=values[::-1],
            orientation="h",
            marker_color=figures.PALETTE[0],
        )
    )
    return figures.layout_figure(fig, 80 + 26 * max(1, len(labels)), xaxis_title=title)


@cache
def _page() -> jinja2.Template:
    text = resources.files("compare.report").joinpath("profile.html.j2").read_text("utf-8")
    env = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    return env.from_string(text)
