"""store -> HTML: one offline report per event, plus an index for several events.

The store is opened read-only; no model is loaded. plotly.js is either inlined once per page
(`plotly="inline"`, 4.7 MB a page) or written once as `plotly.min.js` beside the reports and loaded
by relative path (`"shared"`); by default a single report inlines it and several share it. Either
way the page's Content-Security-Policy allows no remote origin. Figures come from `figures.py` as
plain plotly JSON, and the page is one Jinja2 template with autoescaping. `write_reports` reads
the chosen events' rows one query a table for a batch of events at a time (`data.event_batches`:
what it holds stays bounded), builds the pages on worker processes
(`compare/workers.py`) and writes them all or none (`atomic.Staging`). The reading view (two
documents side by side) carries each document's claims once and every accepted pair once, and
lays out the chosen two in the browser, so a 60-document event stays a few MB.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from contextlib import closing
from datetime import UTC, datetime
from functools import cache, partial
from importlib import resources
from pathlib import Path
from urllib.parse import quote

import duckdb
import jinja2
import polars as pl
from markupsafe import Markup

from compare import atomic, store
from compare.errors import InputError
from compare.query import finite
from compare.report import figures, views
from compare.report.data import EventData, EventFrames, event_batches, event_data, load_event
from compare.report.markup import kind_class, script_json
from compare.text import noun, plural
from compare.workers import default_workers, imap

PROFILE_META = "nc-profile"  # <meta name="nc-profile" content="title">: the index lists the page

__all__ = ["PLOTLY_MODES", "build_report", "slug", "write_reports"]

PLOTLY_MODES = ("inline", "shared")
PLOTLY_FILE = "plotly.min.js"

PLOTLY_CONFIG = {  # plotly.js 4's "Share chart" button uploads the data: never offer it
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["sendChartToCloud", "lasso2d", "select2d"],
}
# <script type="application/json" id=...> in each report's <head>, read back by the index
SUMMARY_ID = "nc-summary"


def write_reports(
    *,
    db: str | Path | None,
    events: Sequence[str] = (),
    out: str | Path = "reports",
    title: str | None = None,
    plotly: str | None = None,
    replace_index: bool = False,
    notes: list[str] | None = None,
    workers: int | None = None,
) -> list[Path]:
    """Write `<out>/<slug(event)>.html` for `events` (default: all), and `<out>/index.html` when
    the out folder then holds several reports. `plotly`: "inline" (plotly.js inside each page),
    "shared" (one `<out>/plotly.min.js` the pages load), None: inline for one event, shared for
    several. `workers`: processes building pages (default one per core; the pages are the same
    for any number). Returns the paths written (plotly.min.js not included), the index last.

    All or nothing: the pages are written into a hidden folder inside `out` and move into place
    only once all are written; an error, Ctrl-C or SIGTERM before that removes the hidden folder
    and leaves `out` as it was. An `index.html` that narrative-compare did not write is left
    alone (a note is added to `notes`) unless `replace_index`."""
    if plotly not in (None, *PLOTLY_MODES):
        raise InputError(f"Unknown plotly mode '{plotly}'. Use one of: {', '.join(PLOTLY_MODES)}.")
    con = store.open_store(db, read_only=True)
    try:
        known = store.event_ids(con)
        chosen = store.require_events(con, list(dict.fromkeys(events)))
        if not chosen:
            raise InputError(
                f"The store '{db or store.default_db()}' holds no events."
                " Run 'narrative-compare run PATH' first."
            )
        mode = plotly or ("inline" if len(chosen) == 1 else "shared")
        names = slugs(known)
        created = not Path(out).exists()
        out = store.writable_folder(Path(out))
        try:
            paths = [out / f"{names[e]}.html" for e in chosen]
            for path in [*paths, out / PLOTLY_FILE, out / "index.html"]:
                if path.exists() and (why := atomic.blocked(path)):
                    raise atomic.failed(path, why, "the report")
            # the largest events first: the pool's last pages are short ones, and a long page
            # does not hold back the pages queued behind it (each page's bytes do not change)
            sizes = store.event_sizes(con, chosen)
            order = sorted(range(len(chosen)), key=lambda i: -sizes.get(chosen[i], 0))
        except BaseException:
            if created:
                atomic.remove_empty(out)
            raise
        build = partial(_page, title=title, plotly=mode, generated=_now())
        try:
            with atomic.Staging(out, what="the report") as staging:
                summaries: dict[Path, dict] = {}
                # read a batch of events at a time while the pool builds pages: the whole store's
                # rows are never held at once
                work = event_batches(con, [chosen[i] for i in order], sizes)
                # closed on leaving, on an error too: the pool is shut down before the staging goes
                workers = min(workers or default_workers(), len(chosen))
                with closing(imap(build, work, workers)) as pages:
                    for path, html in zip([paths[i] for i in order], pages, strict=True):
                        staging.add(path, html)
                        if (summary := _read_summary(html[:200_000])) is not None:
                            summaries[path] = summary
                if mode == "shared" and _stale(out / PLOTLY_FILE, text := _plotlyjs()):
                    staging.add(out / PLOTLY_FILE, text)
                reports = report_summaries(out, summaries)
                index = out / "index.html"
                if len(reports) > 1:
                    if replace_index or not foreign_index(index):
                        staging.add(index, index_page(out, reports, title=title))
                        paths.append(index)
                    elif notes is not None:
                        notes.append(
                            f"Warning: '{index}' was not written by narrative-compare; it is left"
                            " as it is and no index was written (pass --replace-index to replace"
                            " it)."
                        )
                staging.commit()
        except BaseException:
            if created:  # leave no empty folder behind either
                atomic.remove_empty(out)
            raise
    finally:
        con.close()
    return paths


def _page(frames: EventFrames, *, title: str | None, plotly: str, generated: str) -> str:
    """One event's page from its rows (a worker's task: no store, no shared state)."""
    return render_report(event_data(frames), title=title, plotly=plotly, generated=generated)


def index_page(
    out: Path,
    reports: list[dict],
    *,
    profiles: dict[Path, str] | None = None,
    title: str | None = None,
) -> str:
    """The index of `out`: every event report (`report_summaries`) and every profile page
    (`profile_links`, with `profiles` about to be written)."""
    return _template().render(
        index=True,
        reports=reports,
        profiles=profile_links(out, profiles),
        title=title or "Reports",
        generated=_now(),
        colors=figures.STATUS_COLORS,
    )


def profile_links(out: Path, pages: dict[Path, str] | None = None) -> list[dict]:
    """The source profile pages of `out` (and `pages` about to be written), for the index:
    [{"href", "title"}] (compare/report/profile.py writes them)."""
    pattern = re.compile(rf'<meta name="{PROFILE_META}" content="([^"]*)">')
    pages = pages or {}
    links = []
    for path in sorted({*out.glob("profile-*.html"), *pages}):
        if path in pages:
            head = pages[path][:4096]
        elif path.is_file():
            with path.open(encoding="utf-8", errors="replace") as f:
                head = f.read(4096)
        else:
            continue
        if m := pattern.search(head):
            links.append({"href": "./" + quote(path.name), "title": Markup(m.group(1)).unescape()})
    return links


def check_out(out: str | Path) -> None:
    """Refuse, before anything is written, an `out` whose shared files are blocked: a folder,
    FIFO or other non-file named `plotly.min.js` or `index.html` (the pages' own names are known
    only once the events are)."""
    for name in (PLOTLY_FILE, "index.html"):
        path = Path(out) / name
        if path.exists() and (reason := atomic.blocked(path)):
            raise atomic.failed(path, reason, "the report")


def foreign_index(path: Path) -> bool:
    """`path` exists and is not an index page narrative-compare wrote."""
    if not path.is_file():  # absent, or a folder / FIFO in the way: write_all refuses it
        return False
    with path.open("rb") as f:
        head = f.read(4096)
    return b'<meta name="generator" content="narrative-compare">' not in head


def build_report(
    con: duckdb.DuckDBPyConnection,
    event_id: str,
    *,
    title: str | None = None,
    plotly: str = "inline",
) -> str:
    """The HTML page for one event of the store behind `con`. With `plotly="shared"` the page
    loads `plotly.min.js` from its own folder (see `write_reports`)."""
    store.require_events(con, [event_id])
    return render_report(load_event(con, event_id), title=title, plotly=plotly, generated=_now())


def render_report(event: EventData, *, title: str | None, plotly: str, generated: str) -> str:
    """The page of `event` (see `build_report`); `generated` is the time the footer names."""
    docs = event.docs
    cells, rows = views.coverage_cells(event)
    figs = {
        "coverage": figures.coverage_matrix(cells, [d.short for d in docs], rows),
        "agreement": figures.agreement_matrix([d.short for d in docs], event.agreement()),
        "speakers": figures.speaker_share(views.speaker_frame(event)),
    }
    if event.terms.height:
        labels = {d.doc_id: d.short for d in docs}
        order = {d.doc_id: d.index for d in docs}
        terms = event.terms.filter(pl.col("doc_id").is_in(list(labels))).with_columns(
            doc=pl.col("doc_id").replace_strict(labels),
            order=pl.col("doc_id").replace_strict(order),
        )
        figs["terms"] = figures.distinctive_terms(terms.sort("order", maintain_order=True))
    html = {
        name: Markup(_figure_html(fig, f"fig-{name.replace('_', '-')}"))
        for name, fig in figs.items()
    }
    summary = views.summary(event, title)
    return _template().render(
        index=False,
        title=title or event.event_id,
        event=event,
        docs=[views.doc_row(d) for d in docs],
        brief=views.what_differs(event),
        groups=[views.group_view(event, g) for g in event.groups],
        only_in=views.only_in(event),
        reading=script_json(views.reading_payload(event)) if len(docs) > 1 else None,
        summary=summary,
        summary_json=script_json(summary),
        kinds=views.kinds_present(event),
        colors=figures.STATUS_COLORS,
        figs=html,
        plotlyjs=Markup(_plotlyjs()) if plotly == "inline" else None,
        plotly_src=PLOTLY_FILE,
        generated=generated,
    )


def slug(event_id: str) -> str:
    """File name stem for an event: lower-case letters, digits, '.', '_' and '-'.

    When that is not the id itself, 8 hex digits of the id's sha256 follow ('A b' -> 'a-b-1f0c...'),
    so two ids never share a file, across runs and stores, whatever other events exist.
    """
    text = re.sub(r"[^a-z0-9._-]+", "-", event_id.lower()).strip("-.")[:120] or "event"
    if text == event_id:
        return text
    return f"{text}-{hashlib.sha256(event_id.encode('utf-8')).hexdigest()[:8]}"


def slugs(event_ids: Sequence[str]) -> dict[str, str]:
    """File name stems of `event_ids` (see `slug`)."""
    return {event_id: slug(event_id) for event_id in event_ids}


_SUMMARY = re.compile(
    rf'<script type="application/json" id="{SUMMARY_ID}">(.*?)</script>', re.DOTALL
)


def report_summaries(out: Path, fresh: dict[Path, dict] | None = None) -> list[dict]:
    """The summaries embedded in the reports of `out`, for the index (other HTML files are
    skipped); `fresh` are the summaries of reports about to be written there (path -> summary),
    used instead of the files."""
    fresh = fresh or {}
    reports = []
    for path in sorted({*out.glob("*.html"), *fresh}):
        if path.name == "index.html":
            continue
        if path in fresh:
            summary = fresh[path]
        else:
            if not path.is_file():  # a folder or FIFO named *.html is no report (and may hang)
                continue
            with path.open(encoding="utf-8", errors="replace") as f:
                summary = _read_summary(f.read(200_000))  # in <head>, before plotly.js
            if summary is None:
                continue
        reports.append({**summary, "href": "./" + quote(path.name)})
    return sorted(reports, key=lambda r: (r.get("event_id", ""), r["href"]))


def _read_summary(head: str) -> dict | None:
    """The summary a report page carries in its <head>, or None (a page of someone else's that
    borrowed the id, or none)."""
    match = _SUMMARY.search(head)
    if not match:
        return None
    try:
        summary = json.loads(match.group(1))
    except ValueError:
        return None
    return summary if _is_summary(summary) else None


def _is_summary(value) -> bool:
    """Has the shape `views.summary` writes (what the index template reads)."""
    counts = ("claims", "groups", "shared_by_all", "single_source", "aligned_pairs")
    return (
        isinstance(value, dict)
        and all(isinstance(value.get(k), str) for k in ("event_id", "title", "dates"))
        and isinstance(value.get("documents"), list)
        and all(isinstance(d, str) for d in value["documents"])
        and all(isinstance(value.get(k), int) for k in counts)
        and isinstance(value.get("divergences"), dict)
        and all(isinstance(n, int) for n in value["divergences"].values())
        and isinstance(value.get("agreement"), list)
        and all(isinstance(row, list) for row in value["agreement"])
    )


def _stale(path: Path, text: str) -> bool:
    """The shared plotly.js is rewritten only when it differs (another plotly version)."""
    if not path.is_file():
        return True
    return path.read_text(encoding="utf-8", errors="replace") != text


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


@cache
def _template() -> jinja2.Template:
    source = resources.files("compare.report").joinpath("page.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    env.filters["kind_class"] = kind_class
    env.filters["count"] = plural  # {{ n|count("source") }}: "1 source", "2 sources"
    env.filters["pl"] = noun  # {{ "fact"|pl(n) }}: the word alone, "fact" or "facts"
    return env.from_string(source)


@cache
def _plotlyjs() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _figure_html(fig, div_id: str) -> str:
    """A figure's <div> and the script that draws it, as plotly's `to_html` writes them. A plain
    spec (figures.py) is written as JSON without plotly's validation; a `go.Figure` (the source
    profile pages) goes through plotly."""
    if not isinstance(fig, dict):
        return fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            include_mathjax=False,
            div_id=div_id,
            config=PLOTLY_CONFIG,
        )
    height = fig["layout"].get("height")
    args = ", ".join(
        [
            json.dumps(div_id),
            *(_figure_json(v) for v in (fig["data"], fig["layout"], PLOTLY_CONFIG)),
        ]
    )
    return (
        f'<div style="height:{f"{height}px" if height else "100%"}; width:100%;">'
        f'<div id="{div_id}" class="plotly-graph-div" style="height:100%; width:100%;"></div>'
        "<script>window.PLOTLYENV=window.PLOTLYENV || {};"
        f"if (document.getElementById({json.dumps(div_id)})) {{Plotly.newPlot({args})}};"
        "</script></div>"
    )


def _figure_json(value) -> str:
    """JSON for inside <script> (markup.script_json); a NaN or infinity is null, as plotly
    writes it."""
    try:
        return str(script_json(value))
    except ValueError:
        return str(script_json(finite(value)))
