"""segment: documents -> claims (sentence spans, ids, attribution)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compare.ingest import ingest
from compare.segment import CLAIMS_SCHEMA, attribute, segment, split_sentences

SEED = Path(__file__).parent / "fixtures" / "afp-scrape.txt"  # ../shared/seeds, as scraped


def docs(*texts: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "doc_id": [f"d{i}" for i in range(len(texts))],
            "event_id": ["e"] * len(texts),
            "text": list(texts),
        }
    )


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


def test_sentences_paragraphs_and_lines():
    text = (
        "Mr. Smith met U.S. officials at 5 p.m. on Friday. They talked.\n\n"
        "  Second paragraph here!  \nOne sentence per line\nAnother line"
    )
    assert sentences(text) == [
        "Mr. Smith met U.S. officials at 5 p.m. on Friday.",
        "They talked.",
        "Second paragraph here!",
        "One sentence per line",
        "Another line",
    ]


def test_repeated_sentences_get_their_own_offsets():
    text = "It rained. It rained. It rained."
    assert split_sentences(text) == [(0, 10), (11, 21), (22, 32)]


def test_spans_without_letters_or_digits_are_skipped():
    assert sentences("...\n\n* * *\n\n-- \n\nReal text.") == ["Real text."]
    assert split_sentences("") == [] and split_sentences(" \n\t ") == []


def test_long_text_without_boundaries_is_cut_at_whitespace():
    text = " ".join(f"word{i}" for i in range(1200))  # ~10k chars, no punctuation
    spans = split_sentences(text)
    assert len(spans) > 5
    assert all(b - a <= 1000 for a, b in spans)
    assert " ".join(text[a:b] for a, b in spans) == text  # nothing lost, cuts at spaces
    medium = "No boundary " * 150  # 1800 chars: under the 2000-char limit, one claim
    assert sentences(medium) == [medium.strip()]


def test_segment_schema_ids_and_offsets():
    claims = segment(docs("China said so. Russia agreed.", "One."))
    assert dict(claims.schema) == CLAIMS_SCHEMA
    assert claims["position"].to_list() == [0, 1, 0]
    first = claims.row(1, named=True)
    assert first["text"] == "Russia agreed."
    assert (first["char_start"], first["char_end"]) == (15, 29)
    expected = hashlib.sha256(b"d0\x1f1\x1fRussia agreed.").hexdigest()[:16]
    assert first["claim_id"] == expected
    assert first["text_sha256"] == hashlib.sha256(b"Russia agreed.").hexdigest()
    assert segment(docs("China said so. Russia agreed.", "One.")).equals(claims)


def test_segment_empty_frame():
    assert segment(docs()).height == 0
    assert dict(segment(docs()).schema) == CLAIMS_SCHEMA


def test_seed_claims_slice_back_and_carry_speakers():
    documents = ingest([SEED]).documents
    claims = segment(documents)
    text = documents["text"][0]
    for claim in claims.iter_rows(named=True):
        assert text[claim["char_start"] : claim["char_end"]] == claim["text"]
    speakers = dict(zip(claims["text"], claims["speaker"]))
    assert speakers['The issue was Russia\'s "internal affair", the ministry added.'] == (
        "the ministry"
    )


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=300))
def test_random_text_offsets_slice_back(text):
    claims = segment(docs(text))
    previous_end = 0
    for claim in claims.iter_rows(named=True):
        assert text[claim["char_start"] : claim["char_end"]] == claim["text"]
        assert claim["text"] == claim["text"].strip() and claim["text"]
        assert claim["char_start"] >= previous_end
        previous_end = claim["char_end"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "Mr.",
                "U.S.",
                "said",
                '"Yes,"',
                "he",
                "...",
                "!",
                "?",
                "\n",
                "\n\n",
                " ",
                "e.g.",
                "(a)",
                "5.5",
                "Dr",
                "“quote”",
                "Beijing",
                ".",
            ]
        ),
        max_size=60,
    ).map(" ".join)
)
def test_sentence_like_text_offsets_slice_back(text):
    for a, b in split_sentences(text):
        assert 0 <= a < b <= len(text)
        assert text[a:b] == text[a:b].strip()


# --- attribution ---------------------------------------------------------------------------------

ATTRIBUTIONS = [
    (
        (
            '"As a friendly neighbour and a new era comprehensive strategic cooperative partner, China'
            " supports Russia in protecting national stability and achieving development and"
            ' prosperity," the foreign ministry said in a statement.'
        ),
        ("the foreign ministry", None),
    ),
    ('The issue was Russia\'s "internal affair", the ministry added.', ("the ministry", None)),
    (
        (
            'In its readout of the talks, Moscow said Beijing had "expressed support for the efforts of'
            ' the leadership of the Russian Federation to stabilise the situation in the country."'
        ),
        ("Moscow", "Beijing"),
    ),
    (
        (
            'China on Sunday said it supported Russia in "protecting national stability", in'
            " Beijing's first official remarks on a short-lived armed uprising."
        ),
        ("China", None),
    ),
    (
        (
            'The two diplomats discussed "China-Russia relations," Beijing said, as well as'
            ' "international and regional issues of common concern".'
        ),
        ("Beijing", None),
    ),
    (
        "Analysts say China holds the upper hand in the relationship with Russia.",
        ("Analysts", None),
    ),
    (
        "According to the White House, the two leaders agreed to resume military talks.",
        ("the White House", None),
    ),
    ("Jack Ketsoyan said Friday that she is doing well.", ("Jack Ketsoyan", None)),
    ("A publicist says Tara Reid has checked herself into rehab.", ("A publicist", "Tara Reid")),
    ('"We are ready," said Foreign Minister Wang Yi.', ("Foreign Minister Wang Yi", None)),
    (
        "Russian President Vladimir Putin stressed that the mutiny was treason.",
        ("Russian President Vladimir Putin", "the mutiny"),
    ),
    ("The mutiny, analysts say, was over within a day.", ("analysts", None)),
    ("China and Russia have ramped up economic cooperation.", (None, None)),
    ("The man who said it left early.", (None, None)),
    ("The reported deal was off.", (None, None)),
]


@pytest.mark.parametrize(("sentence", "expected"), ATTRIBUTIONS)
def test_attribution(sentence, expected):
    assert attribute(sentence) == expected


def test_attribution_lands_in_claims():
    claims = segment(docs("Moscow said Beijing had agreed. The sky is blue."))
    assert claims["speaker"].to_list() == ["Moscow", None]
    assert claims["reported_subject"].to_list() == ["Beijing", None]


def _speakers(text: str) -> list[str | None]:
    from compare.ingest import DOCUMENTS_SCHEMA

    row = {c: None for c in DOCUMENTS_SCHEMA} | {"doc_id": "d", "event_id": "e", "text": text}
    return segment(pl.DataFrame([row], schema=DOCUMENTS_SCHEMA))["speaker"].to_list()


def test_he_said_is_the_last_named_speaker_and_quotes_carry_their_speaker():
    text = (
        'Governor Rick Perry said the plan was ready. "We will act," he said. "Soon."\n'
        "The weather was fine."
    )
    assert _speakers(text) == [
        "Governor Rick Perry",
        "Governor Rick Perry",
        "Governor Rick Perry",
        None,
    ]


def test_inverted_speaker_after_an_apposition_and_before_a_preposition():
    assert attribute('"They read it," Rep. Jerrold Nadler, D-N.Y., told The Post.')[0] == (
        "Rep. Jerrold Nadler"
    )
    assert attribute('"I will fight," says Perry in the new ad.')[0] == "Perry"


def test_a_speaker_label_ends_a_question_turn_in_a_joined_transcript():
    # A briefing scraped without paragraph breaks: question turns and answers on one line.
    text = (Path(__file__).parent / "fixtures" / "joined-briefing.txt").read_text().strip()
    claims = segment(docs(text))
    rows = {r["text"]: r for r in claims.iter_rows(named=True)}
    questions = {t for t, r in rows.items() if r["kind"] == "question"}
    assert questions == {
        "Question: Mr Ushakov, what did the two presidents discuss during the call?",
        "Question: Was a new meeting discussed?",
        "Q: And sanctions?",
    }
    # the labels are cut from the claims (never embedded or compared); a name is the speaker
    answer = rows["We emphasised the need for legally binding security guarantees."]
    assert answer["kind"] == "statement" and answer["speaker"] == "Yury Ushakov"
    assert rows["We also agreed that our teams would stay in contact."]["kind"] == "statement"
    assert rows["No date has been set yet."]["kind"] == "statement"
    assert rows["The topic did not come up."]["speaker"] == "Dmitry Peskov"
    for r in claims.iter_rows(named=True):
        assert text[r["char_start"] : r["char_end"]] == r["text"]
        assert not r["text"].startswith(("Yury Ushakov:", "Answer:", "Dmitry Peskov:"))


@pytest.mark.parametrize(
    "sentence",
    ["The Kremlin said: talks went well.", "Note the following: nothing changed."],
)
def test_a_colon_inside_a_sentence_is_no_speaker_label(sentence):
    (row,) = segment(docs(sentence)).iter_rows(named=True)
    assert row["text"] == sentence


# --- Arabic script: "؟" (Arabic question mark) and "۔" (Urdu full stop) end sentences ----------

ARABIC = [
    "التقى وزير الخارجية بالمبعوث يوم الاثنين في العاصمة.",
    "وناقش الجانبان التجارة والطاقة والأمن الإقليمي.",
    "هل سيعود المبعوث إلى العاصمة الشهر المقبل؟",
    "قال الوزير إن المحادثات كانت مفيدة جدا!",
    "وأكد الطرفان رغبتهما في مواصلة الحوار.",
]
URDU = [
    "وزیر خارجہ نے پیر کو دارالحکومت میں سفیر سے ملاقات کی۔",
    "دونوں فریقوں نے تجارت اور توانائی پر بات کی۔",
    "کیا سفیر اگلے ماہ واپس آئیں گے؟",
    "وزیر نے کہا کہ بات چیت مفید رہی۔",
]
PERSIAN = [
    "وزیر امور خارجه روز دوشنبه با فرستاده دیدار کرد.",
    "آیا فرستاده ماه آینده باز می‌گردد؟",
    "دو طرف درباره تجارت گفتگو کردند.",
]
ASKED = {"هل سيعود المبعوث إلى العاصمة الشهر المقبل؟", "کیا سفیر اگلے ماہ واپس آئیں گے؟"}
ASKED |= {"آیا فرستاده ماه آینده باز می‌گردد؟"}


@pytest.mark.parametrize("joiner", [" ", "  ", "\u00a0"])
@pytest.mark.parametrize("language", [ARABIC, URDU, PERSIAN], ids=["ar", "ur", "fa"])
def test_arabic_script_sentences_end_at_their_own_marks(language, joiner):
    text = joiner.join(language)
    assert sentences(text) == language
    claims = segment(docs(text))
    for row in claims.iter_rows(named=True):
        assert text[row["char_start"] : row["char_end"]] == row["text"]
        assert row["kind"] == ("question" if row["text"] in ASKED else "statement")


def test_urdu_full_stop_and_arabic_question_mark_end_without_a_space():
    # "۔" and "؟" are never used inside a number or an abbreviation: no space is needed after
    text = "سفیر نے کہا۔دونوں ملک متفق ہیں۔کیا یہ درست ہے؟جی ہاں، بالکل۔"
    assert sentences(text) == [
        "سفیر نے کہا۔",
        "دونوں ملک متفق ہیں۔",
        "کیا یہ درست ہے؟",
        "جی ہاں، بالکل۔",
    ]


@pytest.mark.parametrize(
    "sentence",
    [
        "قال د. محمد إن النمو بلغ ٣٫٥ في المئة في الربع الأول.",  # Dr., Arabic decimal point
        "وبلغ النمو 3.5 في المئة، وفق تقرير الوزارة؛ وهو رقم جيد.",  # comma, semicolon, decimal
        "وصل الوفد من U.S. إلى العاصمة صباح اليوم.",  # a dotted Latin abbreviation
        "قال أ.د. علي إن الاجتماع سيعقد غدا.",  # Prof. Dr.
    ],
)
def test_what_does_not_end_an_arabic_sentence(sentence):
    assert sentences(f"{sentence} {ARABIC[1]}") == [sentence, ARABIC[1]]


def test_an_arabic_question_in_quotes_keeps_its_closing_quote():
    text = "وأضاف الوزير: «هل نحن مستعدون للاتفاق؟» وقال إن الجواب نعم."
    first, second = sentences(text)
    assert first.endswith("؟»") and second == "وقال إن الجواب نعم."
    assert [r["kind"] for r in segment(docs(text)).iter_rows(named=True)] == [
        "question",
        "statement",
    ]


def test_a_question_mark_repeated_or_mixed_ends_one_sentence():
    text = "هل هذا صحيح؟! نعم؟؟ بالتأكيد۔۔ انتهى الاجتماع."
    assert sentences(text) == ["هل هذا صحيح؟!", "نعم؟؟", "بالتأكيد۔۔", "انتهى الاجتماع."]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [*"؟۔.!?…«»،؛", "د.", "٣٫٥", "3.5", "U.S.", "وزیر", "الوزير", "قال", "\n", " ", "  "]
        ),
        max_size=60,
    ).map(" ".join)
)
def test_arabic_script_offsets_slice_back(text):
    claims = segment(docs(text))
    previous_end = 0
    for claim in claims.iter_rows(named=True):
        assert text[claim["char_start"] : claim["char_end"]] == claim["text"]
        assert claim["text"] == claim["text"].strip() and claim["char_start"] >= previous_end
        previous_end = claim["char_end"]
