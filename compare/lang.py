"""Languages: which language a document is in, which languages a model folder declares, and the
word tokens the duplicate and title checks use in any script.

Detection uses py3langid (a maintained fork of langid.py: a naive Bayes model of byte n-grams that
ships inside the wheel, 4.5 MB, numpy only, offline, about a millisecond per document). Its model
labels much standard Chinese as Wu ('wuu'); Chinese written in Han characters is reported as 'zh'.
A text too short or too mixed to tell (confidence under MIN_CONFIDENCE) gets no language.

A model folder declares its languages in `narrative_compare.json` (`{"languages": ["zh", "ru"]}`),
else in the `language:` field of its model card's front matter (`README.md`, as sentence-transformers
and the model hub write it; the bundled all-MiniLM-L6-v2 says `en`). `multilingual` among them means
any language. A folder that declares nothing is not second-guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

import yaml

MIN_CONFIDENCE = 0.5
FOLDED = {"wuu": "zh"}  # py3langid's labels folded into the language a reader means
# Written without spaces between words: no word-level term contrasts (see pipeline.compare_event).
NO_WORD_SPACES = frozenset({"zh", "ja", "th", "lo", "km", "my", "bo", "dz", "yue", "wuu"})
ANY_LANGUAGE = "multilingual"
MODEL_LANGUAGES_FILE = "narrative_compare.json"

# Han ideographs, kana and Hangul syllables: scripts whose words are not separated by spaces (Korean
# is, but its syllable bigrams do no harm), tokenised as character bigrams.
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_CJK_CHAR = re.compile(f"[{CJK}]")
_WORD = re.compile(r"\w+")


def base(code: str | None) -> str | None:
    """'zh-CN' -> 'zh', 'RU' -> 'ru'; None or blank -> None."""
    if not code or not code.strip():
        return None
    return re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0] or None


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> str | None:
    """The ISO 639-1 code (else 639-3) of the language `text` is written in, or None when unsure."""
    sample = text[:20_000]  # a document's first pages say its language; long texts cost no more
    if not any(ch.isalpha() for ch in sample):
        return None
    scores: dict[str, float] = {}
    for code, score in _identifier().rank(sample)[:5]:
        code = FOLDED.get(code, code)
        scores[code] = scores.get(code, 0.0) + score
    code, score = max(scores.items(), key=lambda item: item[1])
    return code if score >= MIN_CONFIDENCE and code != "zxx" else None


def is_cjk(char: str) -> bool:
    return bool(_CJK_CHAR.match(char))


def cjk_share(text: str) -> float:
    """The share of CJK characters among the letters of `text`."""
    letters = "".join(filter(str.isalpha, text))
    return len(_CJK_CHAR.findall(letters)) / len(letters) if letters else 0.0


def tokens(text: str) -> list[str]:
    """Word tokens in any script: runs of word characters, with runs of CJK characters cut into
    overlapping character bigrams (a lone character stays one token)."""
    out: list[str] = []
    for run in _WORD.findall(text):
        if not _CJK_CHAR.search(run):
            out.append(run)
            continue
        for part in re.split(f"([{CJK}]+)", run):
            if not part:
                continue
            if _CJK_CHAR.match(part):
                out.extend(
                    [part] if len(part) == 1 else [part[i : i + 2] for i in range(len(part) - 1)]
                )
            else:
                out.append(part)
    return out


# Scripts written without spaces between words: CJK (Chinese, Japanese kana, Hangul) and Thai,
# Lao, Khmer, Myanmar. Their words are counted by characters, not by spaces.
SPACELESS = (
    CJK
    + "\u0e00-\u0e7f\u0e80-\u0eff\u1780-\u17ff\u19e0-\u19ff\u1000-\u109f\uaa60-\uaa7f\ua9e0-\ua9ff"
)
_SPACELESS_CHAR = re.compile(f"[{SPACELESS}]")


def word_count(text: str) -> int:
    """Words as a reader counts them: space-separated words, and a word per two characters of a
    script written without spaces (CJK, Thai, Lao, Khmer, Myanmar)."""
    spaceless = len(_SPACELESS_CHAR.findall(text))
    spaced = len(_SPACELESS_CHAR.sub(" ", text).split())
    return spaced + (spaceless + 1) // 2


# --- model languages -----------------------------------------------------------------------------


def model_languages(folder: str | Path) -> frozenset[str] | None:
    """The languages the model in `folder` declares (base codes), or None when it declares none."""
    folder = Path(folder)
    declared: object = None
    own = folder / MODEL_LANGUAGES_FILE
    if own.is_file():
        try:
            declared = json.loads(own.read_text(encoding="utf-8")).get("languages")
        except (OSError, ValueError, AttributeError):
            declared = None
    if declared is None and (folder / "README.md").is_file():
        declared = _card_languages(folder / "README.md")
    if isinstance(declared, str):
        declared = [declared]
    if not isinstance(declared, list):
        return None
    codes = {base(str(code)) for code in declared} - {None}
    return frozenset(codes) or None


def _card_languages(card: Path) -> object:
    try:
        text = card.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    match = re.match(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", text, re.DOTALL)
    if not match:
        return None
    try:
        front = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return None
    return front.get("language") if isinstance(front, dict) else None


def contrastable(codes: list[str | None]) -> list[bool]:
    """Which documents of one event (their `lang`) take part in term contrasts: those in the
    event's most common language (no `lang` counts as in it), unless that language is written
    without spaces between words. Word counts in two languages say nothing about each other."""
    codes = [base(code) for code in codes]
    known = [code for code in codes if code is not None]
    main = max(sorted(set(known)), key=known.count) if known else None
    return [(code or main) == main and main not in NO_WORD_SPACES for code in codes]


def unsupported(languages: frozenset[str] | None, documents: Iterable[dict]) -> list[dict]:
    """The documents (dicts with `lang`) whose language the model does not declare."""
    if not languages or ANY_LANGUAGE in languages:
        return []
    return [doc for doc in documents if base(doc.get("lang")) not in (None, *languages)]


def language_notes(
    con,
    events: Iterable[str],
    languages: frozenset[str] | None | Mapping[str, frozenset[str] | None],
) -> list[str]:
    """Lines for `run` to print about the stored documents of `events`: one warning naming the
    documents in a language their event's model does not declare (`languages`: the model's, or
    per event the languages of the model it was given), and a note on those left out of term
    contrasts."""
    events = list(events)
    if not events:
        return []
    cursor = con.execute(
        "SELECT doc_id, event_id, coalesce(label, source, doc_id) AS label, lang FROM documents"
        " WHERE list_contains($events, event_id) ORDER BY event_id, doc_id",
        {"events": events},
    )
    names = [column[0] for column in cursor.description]
    docs = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    per_event = languages if isinstance(languages, Mapping) else dict.fromkeys(events, languages)
    warnings = []
    by_model: dict[frozenset[str], list[dict]] = {}
    for event in events:
        declared = per_event.get(event)
        members = [d for d in docs if d["event_id"] == event]
        if declared and (foreign := unsupported(declared, members)):
            by_model.setdefault(declared, []).extend(foreign)
    for declared, foreign in by_model.items():
        named = "; ".join(f"'{d['label']}' ({d['lang']}, event '{d['event_id']}')" for d in foreign)
        warnings.append(
            f"Warning: the model declares the languages {', '.join(sorted(declared))}, but"
            f" {len(foreign)} document(s) are in another: {named}. Their claims will rarely align"
            " across languages, and no bundled model covers them. Pass --model with a"
            " multilingual sentence-transformers folder (one whose model card or"
            " narrative_compare.json lists these languages)."
        )
    left_out = []
    for event in events:
        members = [d for d in docs if d["event_id"] == event]
        keep = contrastable([d["lang"] for d in members])
        left_out += [d for d, kept in zip(members, keep, strict=True) if not kept]
    if left_out:
        named = "; ".join(f"'{d['label']}' ({d['lang']})" for d in left_out)
        warnings.append(
            f"Note: term contrasts compare the words of documents in one language (an event's"
            f" most common one, never one written without spaces between words, like zh); left"
            f" out: {named}. Their claims are aligned and compared as usual."
        )
    return warnings
