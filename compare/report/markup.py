"""Safe text for the page: escaped HTML with highlights, http(s)-only links, JSON for <script>.

Every string that comes from a source passes through here (or Jinja2's autoescape) before it
reaches the page. Plotly renders a few tags inside its labels, so figure text is escaped too.
"""

from __future__ import annotations

import itertools
import json
import re
import textwrap
from functools import lru_cache
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from compare.text import content_tokens

WORD = re.compile(r"\w[\w'’-]*")


def plain(text: str | None, width: int = 0) -> str:
    """Text for a plotly label or hover: escaped, optionally wrapped with <br> every `width` chars."""
    text = " ".join((text or "").split())
    lines = wrap(text, width) if width and len(text) > width else [text]
    return "<br>".join(str(escape(line)) for line in lines)


def wrap(text: str, width: int) -> list[str]:
    """`textwrap.wrap(text, width)` for a text whose whitespace is single spaces, without
    textwrap's regex where nothing but spaces can break a line (no '-', no word over `width`):
    then textwrap fills each line word by word, as here (tests compare the two)."""
    words = text.split(" ")
    if "-" in text or any(len(w) > width for w in words):
        return textwrap.wrap(text, width)
    lines, line = [], ""
    for word in words:
        if not word:
            continue
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def snippet(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def safe_url(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) link, else None (it is then shown as plain text)."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not re.search(r"\s", url):
        return url
    return None


def script_json(data) -> Markup:
    """JSON safe inside <script type="application/json">: no '<', '>' or '&' can close the tag."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, code)
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def distinct_words(text: str, others: list[str]) -> list[tuple[int, int]]:
    """Spans of the content words of `text` that none of `others` uses (compared the way the
    aligner compares words: lower-cased, stop words dropped, light suffix strip)."""
    return unshared_words(text, {t for other in others for t in words_of(other)})


def unshared_words(text: str, seen: set[str] | frozenset[str]) -> list[tuple[int, int]]:
    """Spans of the content words of `text` whose tokens are none of `seen` (`distinct_words`
    with the other texts' tokens read once for a whole group)."""
    spans = []
    for match in WORD.finditer(text):
        tokens = _word_tokens(match.group())
        if tokens and not any(t in seen for t in tokens):
            spans.append(match.span())
    return spans


@lru_cache(maxsize=8192)
def words_of(text: str) -> frozenset[str]:
    """The content tokens of a claim (`content_tokens`), read once per text."""
    return frozenset(content_tokens(text))


@lru_cache(maxsize=65536)
def _word_tokens(word: str) -> tuple[str, ...]:
    return tuple(content_tokens(word))


def highlight(
    text: str, evidence: list[tuple[int, int, str]], distinct: list[tuple[int, int]] = ()
) -> Markup:
    """Escape `text`, then mark divergence evidence (<mark class="k-KIND">) and, more quietly,
    words the other documents do not use (<span class="u">). Overlaps are cut into segments; a
    segment takes the colour of the narrowest evidence over it and lists every kind in its title."""
    cuts = {0, len(text)}
    for start, end, *_ in (*evidence, *distinct):
        cuts.update((max(0, min(start, len(text))), max(0, min(end, len(text)))))
    bounds = sorted(cuts)
    out = []
    for start, end in itertools.pairwise(bounds):
        piece = escape(text[start:end])
        over = sorted((e - s, k) for s, e, k in evidence if s <= start and end <= e)
        if over:
            kinds = escape(", ".join(sorted({k for _, k in over})))
            out.append(f'<mark class="k-{kind_class(over[0][1])}" title="{kinds}">{piece}</mark>')
        elif any(s <= start and end <= e for s, e in distinct):
            out.append(f'<span class="u">{piece}</span>')
        else:
            out.append(piece)
    return Markup("".join(out))  # every piece escaped above; kind_class is [a-z0-9-]


def kind_class(kind: str) -> str:
    """A CSS-safe class suffix for a divergence kind (kinds come from the store)."""
    return re.sub(r"[^a-z0-9-]", "-", kind.lower()) or "other"
