"""The synthetic feed of `make bench-scale`: real sentences -> events of perturbed retellings.

Reads sentences of real stories (ECB+, AllSides, BASIL, FNC-1 texts from $NARRATIVE_EVAL_DIR,
default ../shared/eval, at run time only) and recombines them: each event retells one story in
several documents; some are wire copy (verbatim), the others keep, reword or drop each sentence and
add their own. `build_corpus(n_docs, out)` writes the feed as JSONL with its gold stories beside it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BASE_SENTENCES = 36  # sentences of an event's base story


def eval_dir() -> Path:
    return Path(os.environ.get("NARRATIVE_EVAL_DIR", ROOT.parent / "shared" / "eval"))


_SPLIT = re.compile(r"(?<=[.!?])[\"”’]?\s+(?=[\"“A-Z])")
_TERMINAL = re.compile(r"[.!?][\"”’]?$")
SYNONYMS = {
    "said": "stated",
    "says": "states",
    "people": "residents",
    "police": "authorities",
    "announced": "unveiled",
    "killed": "left dead",
    "because": "as",
    "after": "following",
    "about": "around",
    "more than": "over",
    "government": "administration",
    "attack": "assault",
    "officials": "representatives",
    "began": "started",
    "died": "was killed",
    "help": "assist",
    "large": "big",
    "told": "informed",
    "week": "weekend",
    "Monday": "Tuesday",
    "Friday": "Thursday",
}
BOILERPLATE = [
    "The Associated Press contributed to this report.",
    "Reuters contributed reporting.",
    "This story has been updated with additional information.",
    "An earlier version of this article misstated the date of the announcement.",
    "Follow our live coverage for the latest developments.",
    "Sign up for our newsletter to get the day's top stories in your inbox.",
    "Additional reporting by staff writers.",
    "This article was originally published on the wire and has been edited for length.",
]


def _usable(sentence: str) -> bool:
    return 40 <= len(sentence) <= 400 and bool(_TERMINAL.search(sentence)) and "\n" not in sentence


def load_stories() -> list[dict]:
    """Stories of real sentences: one per source event, with a title and a sentence pool."""
    stories: dict[str, dict] = {}
    for dataset in ("ecbplus", "allsides_neus", "basil", "fnc1"):
        path = eval_dir() / dataset / "documents.jsonl"
        if not path.exists():
            raise SystemExit(f"{path} is missing: set NARRATIVE_EVAL_DIR to the eval data folder")
        for line in path.read_text(encoding="utf-8").splitlines():
            doc = json.loads(line)
            if doc.get("sentences"):
                sentences = [s["text"] for s in doc["sentences"]]
            else:
                sentences = [s for p in doc["text"].split("\n") for s in _SPLIT.split(p.strip())]
            story = stories.setdefault(
                f"{dataset}:{doc['event_id']}", {"title": None, "pool": [], "seen": set()}
            )
            story["title"] = story["title"] or doc.get("title")
            for sentence in (" ".join(s.split()) for s in sentences):
                if _usable(sentence) and sentence not in story["seen"]:
                    story["seen"].add(sentence)
                    story["pool"].append(sentence)
    out = [
        {"id": key, "title": s["title"], "pool": s["pool"]}
        for key, s in sorted(stories.items())
        if len(s["pool"]) >= 3
    ]
    return out


def perturb(sentence: str, rng: random.Random) -> str:
    """Another outlet's version of a sentence: a number, a word, an attribution, a hedge."""
    kinds = ["number", "synonym", "attribute", "hedge", "drop", "negate"]
    rng.shuffle(kinds)
    for kind in kinds:
        out = _apply(kind, sentence, rng)
        if out and out != sentence:
            return out
    return sentence.rstrip('.!?"”’') + ", reports said."


def _apply(kind: str, s: str, rng: random.Random) -> str | None:
    if kind == "number":
        match = re.search(r"\b\d+\b", s)
        if not match:
            return None
        value = int(match.group())
        new = value + rng.choice([1, 2, 3, 5, 10]) if value < 1900 or value > 2100 else value + 1
        return s[: match.start()] + str(new) + s[match.end() :]
    if kind == "synonym":
        found = [w for w in SYNONYMS if re.search(rf"\b{w}\b", s)]
        if not found:
            return None
        word = rng.choice(found)
        return re.sub(rf"\b{word}\b", SYNONYMS[word], s, count=1)
    if kind == "attribute" and s.endswith("."):
        return s[:-1] + rng.choice([", officials said.", ", a spokesman said.", ", police said."])
    if kind == "hedge" and s.endswith("."):
        return s[:-1] + rng.choice(
            [", according to reports.", ", it was reported.", ", sources suggested."]
        )
    if kind == "drop":
        words = s.split()
        if len(words) < 8:
            return None
        del words[rng.randrange(1, len(words) - 1)]
        return " ".join(words)
    if kind == "negate":
        for verb in (" is ", " was ", " will ", " has "):
            if verb in s:
                return s.replace(verb, f"{verb}not ", 1)
    return None


def event_sizes(n_docs: int, rng: np.random.Generator) -> list[int]:
    """Documents per event: log-normal, median 6, 2 to 60 (a few big stories, many small ones)."""
    sizes: list[int] = []
    while sum(sizes) < n_docs:
        sizes.append(int(np.clip(round(rng.lognormal(np.log(6), 0.75)), 2, 60)))
    sizes[-1] -= sum(sizes) - n_docs
    if sizes[-1] < 2:
        sizes[-2] += sizes.pop()
    return sizes


def build_corpus(n_docs: int, out: Path, seed: int = 8) -> dict:
    """Write `out` (JSONL, one document a line, event_id set; dates interleave the events)."""
    rng = random.Random(seed)
    stories = load_stories()
    sizes = event_sizes(n_docs, np.random.default_rng(seed))
    order = list(range(len(stories)))
    rng.shuffle(order)
    rows, uses, story_of = [], Counter(), {}
    start = dt.date(2024, 1, 1)
    for e, size in enumerate(sizes):
        story = stories[order[e % len(order)]]
        uses[story["id"]] += 1
        story_of[f"scale-{e:05d}"] = story["id"]
        pool = list(story["pool"])
        while len(pool) < BASE_SENTENCES:  # a short story borrows from another one
            pool += stories[rng.randrange(len(stories))]["pool"][: BASE_SENTENCES - len(pool)]
        base = pool[:BASE_SENTENCES]
        if uses[story["id"]] > 1:  # a story told again is another event: other numbers, words
            base = [perturb(s, rng) for s in base]
        title = story["title"] or " ".join(base[0].split()[:10])
        day = start + dt.timedelta(days=rng.randrange(120))
        outlets = rng.sample(range(1, 301), size)
        for d in range(size):
            if d > 0 and rng.random() < 0.3:  # wire copy: a verbatim run of the base story
                keep = rng.randint(24, BASE_SENTENCES)
                sentences = base[:keep]
            else:
                sentences = []
                for s in base:
                    r = rng.random()
                    if r < 0.35:
                        sentences.append(s)
                    elif r < 0.75:
                        sentences.append(perturb(s, rng))
                other = stories[rng.randrange(len(stories))]["pool"]
                own = rng.sample(other, min(len(other), rng.randint(3, 7)))
                for s in own:
                    sentences.insert(rng.randrange(len(sentences) + 1), s)
            if rng.random() < 0.3:
                sentences.append(rng.choice(BOILERPLATE))
            paragraphs, i = [], 0
            while i < len(sentences):
                n = rng.randint(2, 4)
                paragraphs.append(" ".join(sentences[i : i + n]))
                i += n
            rows.append(
                {
                    "doc_id": f"scale-{e:05d}-{d:02d}",
                    "event_id": f"scale-{e:05d}",
                    "source": f"Outlet {outlets[d]:03d}",
                    "title": title if rng.random() < 0.5 else perturb(title + ".", rng).rstrip("."),
                    "date": (day + dt.timedelta(days=rng.randint(0, 1))).isoformat(),
                    "text": "\n\n".join(paragraphs),
                    "_order": (day.toordinal(), rng.random()),
                }
            )
    rows.sort(key=lambda r: r.pop("_order"))  # a feed arrives in date order, events interleaved
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    (out.parent / "stories.json").write_text(json.dumps(story_of))  # for scoring grouping
    return {
        "documents": len(rows),
        "events": len(sizes),
        "docs_per_event_median": float(np.median(sizes)),
        "docs_per_event_max": max(sizes),
        "stories": len(stories),
        "feed_mb": out.stat().st_size / 2**20,
    }
