"""Store -> a source profile: how one source tells the news across every event it appears in.

Read from the views `v_source_pair` / `v_source_profile` and the `source_*` queries
(queries/source_*.sql): coverage of the other sources' facts, relations of firmly aligned pairs
(the report's pair strength: belief >= LOOSE_PAIR, see compare/views.sql), omissions grouped into
themes, characteristic substitutions, speakers, distinctive terms and a timeline. Substitutions,
terms and omission themes are ranked by the Monroe et al. (2008) log-odds with an informative
Dirichlet prior (`compare.diverge.terms.log_odds`), so a pair seen once is no finding.
"""

from __future__ import annotations

import difflib
from collections import Counter
from pathlib import Path

import duckdb
import polars as pl

from compare import store
from compare.diverge import DivergeConfig
from compare.diverge.terms import log_odds, terms
from compare.errors import InputError, StoreError
from compare.query import load_query

__all__ = ["profile", "public", "source_names"]

MIN_Z = 1.96  # a term, substitution or theme word above this z is distinctive (about p < 0.05)
TOP = 15  # rows of each ranked list
EXAMPLES = 3  # example omissions per theme


def source_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every source name of the store (a document's label, else its source, else its doc_id)."""
    rows = con.execute(
        "SELECT DISTINCT coalesce(label, source, doc_id) FROM documents ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def resolve(con: duckdb.DuckDBPyConnection, name: str, db: str | Path | None) -> str:
    """The stored spelling of source `name` (any case); unknown -> InputError naming the closest."""
    names = source_names(con)
    by_key = {n.lower(): n for n in names}
    if name.lower() in by_key:
        return by_key[name.lower()]
    close = difflib.get_close_matches(name.lower(), list(by_key), n=5, cutoff=0.4)
    hint = [by_key[k] for k in close] or names[:5]
    raise InputError(
        f"Unknown source '{name}' in the store '{db or store.default_db()}'."
        f" Closest: {', '.join(hint) or 'none (the store is empty)'}."
        " Run 'narrative-compare events' to see every event's sources."
    )


def _query(con: duckdb.DuckDBPyConnection, name: str, **params) -> pl.DataFrame:
    query = load_query(name)
    values = {p: params.get(p) for p in query.params}
    return con.sql(query.sql, params=values).pl()


def profile(
    con: duckdb.DuckDBPyConnection,
    source: str,
    against: str | None = None,
    *,
    db: str | Path | None = None,
    config: DivergeConfig | None = None,
) -> dict:
    """The profile of `source` (against every other source, or only `against`): one dict with
    the JSON keys of `narrative-compare profile --json` plus `tables` (the rows the page shows)."""
    config = config or DivergeConfig()
    source = resolve(con, source, db)
    if against is not None:
        against = resolve(con, against, db)
        if against.lower() == source.lower():
            raise InputError(
                f"--against '{against}' is the source itself. Give another source's name."
            )
    try:
        summary = _query(con, "source_profile", source=source)
    except duckdb.CatalogException:
        raise StoreError(
            f"The store '{db or store.default_db()}' has no source-profile views (it was written by"
            " an older build). Rebuild it: run 'narrative-compare run' on your inputs again."
        ) from None
    p = {"source": source, "against": against}
    coverage = _query(con, "source_coverage", source=source, against=against)
    relations = _query(con, "source_relations", source=source, against=against)
    timeline = _query(con, "source_timeline", source=source, against=against)
    events = timeline["event_id"].n_unique() if against else int(summary["events"][0])
    p["events"] = events
    p["coverage"] = {
        r["other_source"]: {"facts": r["other_facts"], "both": r["shared_facts"]}
        for r in coverage.iter_rows(named=True)
    }
    rel: dict[str, dict[str, int]] = {o: {} for o in p["coverage"]}
    for r in relations.iter_rows(named=True):
        rel.setdefault(r["other_source"], {})[r["relation"]] = r["pairs"]
    p["relations"] = rel
    substitutions = _query(con, "source_substitutions", source=source, against=against)
    p["substitutions"] = _substitutions(substitutions, config)
    statements = _query(con, "source_statements", source=source, against=against)
    omissions = _query(con, "source_omissions", source=source, against=against)
    p["omission_themes"] = _themes(omissions, statements, config)
    speakers = _query(con, "source_speakers", source=source)
    p["speakers"] = [
        {"name": r["name"], "count": r["count"]} for r in speakers.head(TOP).iter_rows(named=True)
    ]
    p["terms"] = _terms(statements, config)
    p["tables"] = {
        "summary": summary,
        "coverage": coverage,
        "relations": relations,
        "timeline": timeline,
        "omissions": omissions,
        "speakers": speakers,
        "substitution_rows": substitutions,
    }
    return p


def public(p: dict) -> dict:
    """The `--json` object: the profile without its tables."""
    return {k: v for k, v in p.items() if k not in ("tables", "against")}


def _substitutions(rows: pl.DataFrame, config: DivergeConfig) -> list[dict]:
    """The source's word pairs against every other source's, by log-odds z; only pairs above
    MIN_Z, seen in two events or more (one event's rewording is no habit) and against two other
    sources when there are two (a pair seen only against one outlet is that outlet's habit)."""
    mine, rest, info = Counter(), Counter(), {}
    sources = {
        o for r in rows.filter(pl.col("is_source")).iter_rows(named=True) for o in r["others"]
    }
    spread = min(2, len(sources))  # "where the others write": against two sources when it can
    for r in rows.iter_rows(named=True):
        key = (r["source_words"], r["other_words"])
        if r["is_source"]:
            mine[key] += r["count"]
            info[key] = r
        else:
            rest[key] += r["count"]
    out = []
    for key, (_, z) in log_odds(mine, rest, config.prior_scale):
        r = info[key]
        if z < MIN_Z or r["events"] < 2 or len(r["others"]) < spread:
            continue
        out.append(
            {
                "source_words": key[0],
                "other_words": key[1],
                "others": list(r["others"]),
                "events": r["events"],
                "score": round(z, 3),
            }
        )
    return out[:TOP]


def _terms(statements: pl.DataFrame, config: DivergeConfig) -> list[dict]:
    """Terms of the source's statements against the other sources' in the same events."""
    mine, rest = _term_counts(statements)
    return [
        {"term": w, "z": round(z, 3)}
        for w, (_, z) in log_odds(mine, rest, config.prior_scale)[:TOP]
        if z >= MIN_Z
    ]


def _term_counts(statements: pl.DataFrame) -> tuple[Counter, Counter]:
    mine, rest = Counter(), Counter()
    for is_source, text in statements.select("is_source", "text").iter_rows():
        (mine if is_source else rest).update(set(terms(text)))
    return mine, rest


def _themes(omissions: pl.DataFrame, statements: pl.DataFrame, config: DivergeConfig) -> list[dict]:
    """Omitted facts grouped by what they are about: the terms distinctive of what the source
    leaves out against what it tells itself (log-odds z >= MIN_Z, in two omitted
    facts or more); each theme takes the omissions holding its term and not yet in a theme,
    biggest first. Its `terms` are those most of its members share; examples by salience."""
    if omissions.is_empty():
        return []
    facts = [
        (r["text"], r["salience"] or 0.0, set(terms(r["text"])))
        for r in omissions.iter_rows(named=True)
    ]
    left = Counter()
    for _, _, ts in facts:
        left.update(ts)
    told, _ = _term_counts(statements)
    z = dict(log_odds(left, told, config.prior_scale))
    seeds = {w: s[1] for w, s in z.items() if s[1] >= MIN_Z and left[w] >= 2}
    themes, taken = [], set()
    while seeds:
        counts = {
            w: sum(1 for i, f in enumerate(facts) if i not in taken and w in f[2]) for w in seeds
        }
        best = max(seeds, key=lambda w: (counts[w], seeds[w], w))
        if counts[best] < 2:
            break
        members = [i for i, f in enumerate(facts) if i not in taken and best in f[2]]
        taken.update(members)
        del seeds[best]
        shared = Counter()
        for i in members:
            shared.update(facts[i][2])
        words = [best] + sorted(
            (w for w, n in shared.items() if w != best and n * 2 > len(members) and w in seeds),
            key=lambda w: -seeds[w],
        )[:2]
        examples = sorted(members, key=lambda i: -facts[i][1])[:EXAMPLES]
        themes.append(
            {
                "terms": words,
                "count": len(members),
                "examples": [facts[i][0] for i in examples],
            }
        )
    return themes[:TOP]
