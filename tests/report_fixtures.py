"""Report test fixtures: a store with an 8-document event and a hostile event, built in the test
with the deterministic HashEmbedder. Divergences and term contrasts are added here as the
diverge stage would store them, so the report's highlights, badges and term chart are exercised.
Loaded by the report tests through `pytest_plugins`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "<script>window.__xss=2</script>"
XSS_URL = "javascript:window.__xss=3"
XSS_LINK = '<a href="javascript:window.__xss=4">read more</a>'

STORY = [
    "Leaders of Norland and Sudia met in Geneva on Monday for three hours of talks.",
    "The two sides agreed to reopen the border crossing at Kestrel Pass.",
    "Norland will release 40 detained fishermen before the end of the month.",
    "Sudia said the talks were frank and constructive.",
    "Both governments pledged to resume direct flights between their capitals.",
    "A joint commission on water rights will meet in March.",
    "The agreement does not address the disputed islands.",
    "Analysts said the meeting marked a thaw after two years of tension.",
    "Protesters gathered outside the venue demanding compensation for farmers.",
    "Norland's foreign minister called the outcome a historic step.",
]

# (source, kind, date, sentences): indexes into STORY, or own sentences. Two Reuters documents
# test that one outlet's two documents are compared like any other two.
EIGHT = [
    (
        "Norland Ministry of Foreign Affairs",
        "readout",
        "2024-03-04",
        [0, 1, 2, 4, 9, "Norland thanked Switzerland for hosting the meeting."],
    ),
    (
        "Sudia Foreign Ministry",
        "readout",
        "2024-03-04",
        [
            "Leaders of Norland and Sudia met in Geneva on Monday for four hours of talks.",
            1,
            3,
            5,
            "Sudia raised the status of the disputed islands with its neighbour.",
        ],
    ),
    (
        "Reuters",
        "wire",
        "2024-03-04",
        [0, "Norland will release 45 detained fishermen before the end of the month.", 1, 6, 7, 8],
    ),
    ("Reuters", "wire", "2024-03-05", [0, 1, 7, "Oil prices barely moved after the announcement."]),
    (
        "Daily Star",
        "newspaper",
        "2024-03-05",
        [8, 0, "Sudia said the talks may have been frank and constructive.", 2],
    ),
    ("Le Monde (English)", "newspaper", "2024-03-05", [4, 5, 6, 0]),
    (
        "Global Times",
        "newspaper",
        "2024-03-05",
        ["Norland's foreign minister hailed the outcome as a historic step.", 1, 2, 3],
    ),
    (
        "Policy Blog",
        "blog",
        "2024-03-06",
        [7, 6, "Markets reacted calmly to the news from Geneva on Monday."],
    ),
]

HOSTILE = [
    {
        "doc_id": "h1",
        "source": f"{XSS_SCRIPT}Evil Wire",
        "title": XSS_IMG,
        "url": XSS_URL,
        "source_kind": XSS_LINK,
        "date": "2024-01-01",
        "text": f"The minister said {XSS_SCRIPT} the talks in Oslo went well. "
        f"The picture {XSS_IMG} was posted online by the ministry. "
        f"Readers can follow {XSS_LINK} for the statement on the talks.",
    },
    {
        "doc_id": "h2",
        "source": XSS_IMG,
        "title": "<b>bold</b> & co",
        "url": "JavaScript:alert(1)",
        "date": "2024-01-02",
        "text": f"The minister said the talks in Oslo went well. "
        f"The picture {XSS_IMG} was posted online by the ministry on Tuesday. "
        "Nothing else was agreed at the meeting.",
    },
    {
        "doc_id": "h3",
        "source": 'Plain "Quote" & <Co>',
        "url": "https://example.org/a?b=1&c=<2>",
        "date": "2024-01-02",
        "text": "The talks in Oslo went well, the minister said. "
        f"A spokesman {XSS_SCRIPT} said nothing else was agreed at the meeting.",
    },
]


def write_events(root: Path) -> Path:
    """The events as files, one folder each; returns the folder of event folders."""
    folder = root / "events"
    for event in ("summit", "hostile", "lonely"):
        (folder / event).mkdir(parents=True, exist_ok=True)
    rows = []
    for n, (source, kind, date, sentences) in enumerate(EIGHT, start=1):
        text = " ".join(STORY[s] if isinstance(s, int) else s for s in sentences)
        rows.append(
            {
                "doc_id": f"n{n}",
                "source": source,
                "source_kind": kind,
                "date": date,
                "url": f"https://news.example.org/{n}",
                "title": f"Summit, as told by {source}",
                "text": text,
            }
        )
    (folder / "summit" / "docs.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    (folder / "hostile" / "docs.jsonl").write_text("\n".join(json.dumps(r) for r in HOSTILE))
    (folder / "lonely" / "only.md").write_text(
        "---\nsource: Lone Herald\n---\n\n" + " ".join(STORY[:3])
    )
    return folder


def add_divergences(con) -> int:
    """Divergence rows for every aligned pair whose texts differ, in the diverge stage's format:
    a number that differs, a hedge, or otherwise the first word each side uses alone. They replace
    what the stage found, so these tests do not depend on its heuristics."""
    con.execute("DELETE FROM divergences")
    pairs = con.execute(
        "SELECT p.event_id, p.claim_a, p.claim_b, a.text, b.text FROM claim_pairs p"
        " JOIN claims a ON a.claim_id = p.claim_a JOIN claims b ON b.claim_id = p.claim_b"
    ).fetchall()
    rows = []
    for event_id, claim_a, claim_b, text_a, text_b in pairs:
        if text_a == text_b:
            continue
        nums_a, nums_b = _spans(r"\d+", text_a), _spans(r"\d+", text_b)
        if [t for *_, t in nums_a] != [t for *_, t in nums_b]:
            kind, ev_a, ev_b = "number", nums_a, nums_b
            reason = f"{nums_a[0][2] if nums_a else 'none'} vs {nums_b[0][2] if nums_b else 'none'}"
        elif ("may" in text_a.split()) != ("may" in text_b.split()):
            kind, ev_a, ev_b = "hedging", _spans(r"\bmay\b", text_a), _spans(r"\bmay\b", text_b)
            reason = "one side hedges ('may')"
        else:
            kind, ev_a, ev_b = "reworded", _alone(text_a, text_b), _alone(text_b, text_a)
            reason = "same claim in other words"
        if "__xss" in text_a + text_b:  # the hostile event: payload in reason and evidence
            kind, reason = "speaker", f"quoted {XSS_IMG} and {XSS_SCRIPT}"
            ev_a = _spans(re.escape(XSS_SCRIPT) + "|" + re.escape(XSS_IMG), text_a) + ev_a
            ev_b = _spans(re.escape(XSS_SCRIPT) + "|" + re.escape(XSS_IMG), text_b) + ev_b
        rows.append(
            (event_id, claim_a, claim_b, kind, 0.5, reason, json.dumps(ev_a), json.dumps(ev_b), 0.5)
        )
    con.executemany("INSERT INTO divergences VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


def add_term_contrasts(con) -> None:
    """A few terms per document, replacing the stage's (the hostile event gets a payload as a term)."""
    con.execute("DELETE FROM term_contrasts")
    docs = con.execute("SELECT event_id, doc_id, text FROM documents ORDER BY doc_id").fetchall()
    for event_id, doc_id, text in docs:
        words = sorted(set(re.findall(r"[A-Za-z]{5,}", text)))[:6]
        if event_id == "hostile":
            words.append(XSS_SCRIPT)
        for rank, word in enumerate(words):
            con.execute(
                "INSERT INTO term_contrasts VALUES (?, ?, ?, ?, ?, ?)",
                [event_id, doc_id, word, 2 + rank, 1.5 - rank / 10, 3.0 - rank / 3],
            )


def _spans(pattern: str, text: str) -> list[list]:
    return [[m.start(), m.end(), m.group()] for m in re.finditer(pattern, text)]


def _alone(text: str, other: str) -> list[list]:
    words = set(re.findall(r"\w+", other.lower()))
    return [
        [m.start(), m.end(), m.group()]
        for m in re.finditer(r"\w{4,}", text)
        if m.group().lower() not in words
    ][:1]


@pytest.fixture(scope="session")
def report_store(tmp_path_factory) -> Path:
    """Events 'summit' (8 documents), 'hostile' and 'lonely' (one document), aligned with the
    HashEmbedder. Read-only use."""
    from compare import store
    from compare.embed import HashEmbedder
    from compare.pipeline import align_store, ingest_into

    root = tmp_path_factory.mktemp("report-store")
    db = root / "report.duckdb"
    con = store.open_store(db)
    ingest_into(con, [write_events(root)])
    align_store(con, HashEmbedder())
    # a speaker the way segment would store it, with markup in it
    con.execute(
        "UPDATE claims SET speaker = ? WHERE doc_id = 'h3' AND text LIKE 'A spokesman%'",
        [f"A spokesman {XSS_SCRIPT}"],
    )
    add_divergences(con)
    add_term_contrasts(con)
    con.close()
    return db


@pytest.fixture(scope="session")
def hundred_store(tmp_path_factory) -> Path:
    """100 small generated events (three retellings of STORY each, numbers and places varied by
    event), aligned with the HashEmbedder. Read-only use."""
    from compare import store
    from compare.embed import HashEmbedder
    from compare.pipeline import align_store, ingest_into

    root = tmp_path_factory.mktemp("hundred")
    for e in range(100):
        told = [s.replace("40", str(40 + e)).replace("Geneva", f"Geneva-{e}") for s in STORY]
        for d, picks in enumerate(([0, 1, 2, 3, 9], [0, 1, 4, 5, 6], [2, 1, 7, 8, 0])):
            text = " ".join(told[i] for i in picks)
            if d == 1:
                text = text.replace(str(40 + e), str(45 + e))
            (root / "events" / f"ev-{e:03d}").mkdir(parents=True, exist_ok=True)
            (root / "events" / f"ev-{e:03d}" / f"doc{d}.md").write_text(
                f"---\nsource: Outlet {d}\n---\n\n{text}\n", encoding="utf-8"
            )
    db = root / "hundred.duckdb"
    con = store.open_store(db)
    ingest_into(con, [root / "events"])
    align_store(con, HashEmbedder())
    con.close()
    return db
