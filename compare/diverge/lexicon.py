"""The lexicons in `compare/data/` (aliases, titles, hedges, negation, numbers, framing cues) as compiled
patterns, and the word-level helpers every part of diverge shares (WORD, function words)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import yaml

from compare.text import STOPWORDS, verb_stem


@cache
def _lexicon(name: str) -> dict:
    text = resources.files("compare.data").joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _phrase_pattern(phrases, *, first_letter_free: bool = False, ignore_case: bool = False) -> str:
    parts = []
    for p in sorted(set(phrases), key=len, reverse=True):
        words = [re.escape(w) for w in p.split()]
        if first_letter_free and p[0].isalpha():
            first = p[0]
            words[0] = f"[{first.upper()}{first.lower()}]" + re.escape(p.split()[0][1:])
        parts.append(r"\s+".join(words))
    body = "|".join(parts)
    return f"(?i:{body})" if ignore_case else f"(?:{body})"


@dataclass(frozen=True)
class Lexicon:
    actor_re: re.Pattern
    actor_of: dict[str, tuple[str, str]]  # lower-cased form -> (canonical id, type)
    title_re: re.Pattern
    title_of: dict[str, str]
    honorifics: frozenset[str]
    not_names: frozenset[str]
    hedge_re: re.Pattern
    tentative_re: re.Pattern
    firm_re: re.Pattern
    negators: frozenset[str]
    refuters: frozenset[str]
    refuted_by_not: frozenset[str]  # "not true": a negator before one of these refutes
    pass_negation: frozenset[str]  # "not plan to X": the negation bears on X
    antonyms: tuple[tuple[str, str], ...]  # stemmed keys of words that cannot both hold
    base_form: dict[str, str]  # an irregular verb form's key -> its base form's key (met -> meet)
    numbers: dict
    vague_speakers: frozenset[str]
    state_speakers: frozenset[str]  # "government", "regime": one speaker, named two ways
    function_words: frozenset[str]
    framing_re: dict[str, re.Pattern]  # loaded, intensifiers, distancing -> lower-case pattern


@lru_cache(maxsize=1)
def lex() -> Lexicon:
    aliases = _lexicon("aliases")
    actor_of = {}
    for cid, entry in aliases["actors"].items():
        for form in entry["forms"]:
            actor_of[fold(form)] = (cid, entry["type"])
    title_of = {}
    for canon, forms in aliases["titles"].items():
        for form in forms:
            title_of[fold(form)] = canon
    hedges = _lexicon("hedges")
    negation = _lexicon("negation")
    boundary = r"(?<![\w.])(?:{})(?![\w])"
    return Lexicon(
        actor_re=re.compile(
            boundary.format(
                _phrase_pattern(
                    [f for e in aliases["actors"].values() for f in e["forms"]],
                    first_letter_free=True,
                )
            )
        ),
        actor_of=actor_of,
        title_re=re.compile(boundary.format(_phrase_pattern(title_of, ignore_case=True))),
        title_of=title_of,
        honorifics=frozenset(aliases["honorifics"]),
        not_names=frozenset(aliases["not_names"]),
        hedge_re=re.compile(boundary.format(_phrase_pattern(hedges["hedges"]))),
        tentative_re=re.compile(boundary.format(_phrase_pattern(hedges["tentative"]))),
        firm_re=re.compile(boundary.format(_phrase_pattern(hedges["firm"]))),
        negators=frozenset(negation["negators"]),
        refuters=frozenset(negation["refuters"]),
        refuted_by_not=frozenset(negation["refuted_by_not"]),
        pass_negation=frozenset(verb_stem(w) for w in negation["pass_negation"]),
        base_form={
            verb_stem(form): verb_stem(verb)
            for verb, forms in negation["irregular_verbs"].items()
            for form in forms.split()
        },
        antonyms=tuple(
            (verb_stem(x), verb_stem(y)) for x, ys in negation["antonyms"].items() for y in ys
        ),
        numbers=_lexicon("numbers"),
        vague_speakers=frozenset(_lexicon("diverge")["vague_speakers"]),
        state_speakers=frozenset(_lexicon("diverge")["state_speakers"]),
        function_words=frozenset(_lexicon("diverge")["function_words"]),
        framing_re={
            cue: re.compile(boundary.format(_phrase_pattern(_lexicon("diverge")[cue])))
            for cue in ("loaded", "intensifiers", "distancing")
        },
    )


def fold(text: str) -> str:
    return " ".join(text.replace("’", "'").lower().split())


Span = tuple[int, int, str]
WORD = re.compile(r"(?:[A-Z]\.){2,}|[^\W_]+(?:['’][^\W_]+)?")


@lru_cache(maxsize=1 << 16)  # asked of every word of every text read
def function_word(word: str) -> bool:
    word = word.replace("’", "'")
    return (
        word in STOPWORDS or word in lex().function_words or len(word) < 2 or word.endswith("n't")
    )
