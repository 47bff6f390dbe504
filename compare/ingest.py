"""Ingest: files -> documents.

Reads .txt / .md (optional YAML front matter), .html / .htm (main text via trafilatura, metadata from
a `<stem>.meta.yaml` sidecar), and .jsonl / .csv / .parquet (one document per row). Folders are read
recursively in sorted order; a folder's README.md describes the folder and is not a document, and
`*.meta.yaml` sidecars are metadata, not documents.

Every document text is cleaned by `compare/clean.py` (wrapped lines joined, site furniture and
duplicate paragraphs dropped, in any script), and a document with no `lang` gets the detected one.
The stored `text` is the kept paragraphs joined by a blank line; claim offsets index into it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from compare import lang
from compare.clean import clean_text
from compare.decode import decode
from compare.errors import InputError
from compare.workers import imap

DOCUMENTS_SCHEMA: dict[str, pl.DataType] = {
    name: pl.String()
    for name in (
        "doc_id",
        "event_id",
        "source",
        "label",
        "source_kind",
        "title",
        "date",
        "lang",
        "url",
        "text",
        "content_sha256",
        "path",
        "metadata",
    )
}

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
TABLE_SUFFIXES = (".jsonl", ".csv", ".parquet")
SUPPORTED = TEXT_SUFFIXES + HTML_SUFFIXES + TABLE_SUFFIXES
MAX_DOC_BYTES = 20 * 1024 * 1024
FIELDS = ("doc_id", "event_id", "source", "label", "source_kind", "title", "date", "lang", "url")
ALIASES = {"outlet": "source", "published": "date"}
MAX_EVENT_ID_CHARS = 200  # event ids name report files and export folders

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_SURROGATE = re.compile(r"[\ud800-\udfff]")


@dataclass
class Ingested:
    documents: pl.DataFrame  # DOCUMENTS_SCHEMA, one row per distinct document
    # (path, reason) with skip_bad=True; a table's refused row is ('path:row', reason)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def ingest(paths: Sequence[str | Path], *, skip_bad: bool = False, workers: int = 1) -> Ingested:
    """Read files and folders into documents; with skip_bad, unreadable files (and the refused
    rows of a table) go to `skipped`. `workers` processes detect the languages not given."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    skipped: list[tuple[str, str]] = []
    warnings: list[str] = []
    try:
        return _ingest(paths, skip_bad, skipped, warnings, workers)
    except InputError as exc:  # what was found before it is told before the error
        exc.warnings, exc.skipped = warnings, skipped
        raise


def _ingest(
    paths: Sequence[str | Path], skip_bad: bool, skipped: list, warnings: list[str], workers: int
) -> Ingested:
    records: list[dict[str, Any]] = []
    for path in _expand(paths, skip_bad, skipped):
        try:
            # with --skip-bad a table's bad rows are skipped one by one, the rest kept
            file_records, file_warnings = _read_file(path, skipped if skip_bad else None)
        except OSError as exc:  # deleted, replaced or made unreadable since the folder was listed
            error = InputError(
                f"Cannot read '{path}': {exc.strerror or exc}. It changed while being read:"
                " check the file and run again, or pass --skip-bad."
            )
            if not skip_bad:
                raise error from None
            skipped.append((str(path), str(error)))
            continue
        except InputError as exc:
            if not skip_bad:
                raise
            skipped.append((str(path), str(exc)))
            continue
        records.extend(file_records)
        warnings.extend(file_warnings)
    if not records:
        given = ", ".join(f"'{p}'" for p in paths) or "(no paths)"
        raise InputError(
            f"No document could be read from {given}: {len(skipped)} file(s) skipped. "
            "Fix the files listed above or pass other paths."
        )
    documents = _drop_duplicate_documents(records, warnings)
    _detect_languages(documents, workers)
    frame = pl.DataFrame(
        [{name: doc[name] for name in DOCUMENTS_SCHEMA} for doc in documents],
        schema=DOCUMENTS_SCHEMA,
    )
    return Ingested(documents=frame, skipped=skipped, warnings=warnings)


# --- finding files -------------------------------------------------------------------------------


def _expand(paths: Sequence[str | Path], skip_bad: bool, skipped: list) -> list[Path]:
    files: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        try:
            found = _files_in(path, skipped)
        except InputError as exc:
            if not skip_bad:
                raise
            skipped.append((str(path), str(exc)))
            continue
        for file in found:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                files.append(file)
    return files


def _files_in(path: Path, skipped: list) -> list[Path]:
    """The supported files of a file or folder. Links inside a folder are followed only when they
    point inside it; others (and dangling ones) go to `skipped`, whatever --skip-bad says."""
    if not path.exists():
        raise InputError(f"Cannot read '{path}': no such file or folder. Check the path.")
    if path.is_file():
        if path.suffix.lower() not in SUPPORTED or path.name.lower().endswith(".meta.yaml"):
            raise InputError(
                f"Cannot read '{path}': unsupported file type '{path.suffix}'. "
                f"Supported: {' '.join(SUPPORTED)}."
            )
        return [path]
    files = sorted(
        p
        for p in _walk(path, skipped)
        if p.suffix.lower() in SUPPORTED
        and p.name.lower() != "readme.md"  # a folder's README describes the folder
    )
    if not files:
        raise InputError(
            f"Cannot read folder '{path}': it has no supported files ({' '.join(SUPPORTED)}). "
            "Pass a folder of documents."
        )
    return files


def _walk(folder: Path, skipped: list) -> list[Path]:
    """Regular files under `folder` (hidden names skipped); links out of it are not followed."""
    root = folder.resolve()
    found = []
    for parent, dirs, names in os.walk(folder):  # os.walk does not descend into linked folders
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in [*dirs, *names]:
            entry = Path(parent) / name
            if name.startswith(".") or (name in dirs and not entry.is_symlink()):
                continue
            if entry.is_symlink():
                target = entry.resolve()
                if not target.exists():
                    skipped.append((str(entry), "a link to nothing (dangling); not followed."))
                    continue
                if not target.is_relative_to(root):
                    skipped.append(
                        (str(entry), f"a link out of '{folder}' (to '{target}'); not followed.")
                    )
                    continue
                if target.is_dir():  # a link to a folder inside: its files are listed anyway
                    continue
            if entry.is_file():
                found.append(entry)
    return found


# --- reading one file ----------------------------------------------------------------------------


def _read_file(
    path: Path, skipped_rows: list[tuple[str, str]] | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Records and warnings of one file. A row of a table (.jsonl, .csv, .parquet) whose values
    are refused goes to `skipped_rows` as ('file:row', reason) when it is a list, else raises."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _read_parquet(path, skipped_rows)
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"Cannot read '{path}': the file is empty. Remove it or pass --skip-bad.")
    if suffix in TEXT_SUFFIXES + HTML_SUFFIXES and size > MAX_DOC_BYTES:
        raise _too_big(f"'{path}'")
    warnings: list[str] = []
    text = decode(path.read_bytes(), path, warnings)
    if suffix == ".jsonl":
        records, row_warnings = _read_jsonl(text, path, skipped_rows)
        return records, warnings + row_warnings
    if suffix == ".csv":
        records, row_warnings = _read_csv(text, path, skipped_rows)
        return records, warnings + row_warnings
    fields = _sidecar(path, warnings)
    if suffix in HTML_SUFFIXES:
        body = _html_text(text, path, fields)
    else:
        front, body = _front_matter(text, path)
        fields.update(front)
    record = _record(fields, body, str(path), path, scrape=True, warnings=warnings)
    return [record], warnings


def _too_big(where: str) -> InputError:
    return InputError(
        f"Cannot read {where}: the document is larger than the "
        f"{MAX_DOC_BYTES // (1024 * 1024)} MB limit. Split it into smaller documents."
    )


def _front_matter(text: str, path: Path) -> tuple[dict[str, Any], str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    return _yaml_mapping(match.group(1) or "", f"the front matter of '{path}'"), text[match.end() :]


def _sidecar(path: Path, warnings: list[str]) -> dict[str, Any]:
    sidecar = path.with_name(path.stem + ".meta.yaml")
    if not sidecar.is_file():
        return {}
    try:
        raw = sidecar.read_text(encoding="utf-8-sig")
    except (UnicodeDecodeError, OSError) as exc:
        raise InputError(
            f"Cannot read sidecar '{sidecar}': {exc}. Save it as UTF-8 YAML."
        ) from None
    return _yaml_mapping(raw, f"sidecar '{sidecar}'")


def _yaml_mapping(raw: str, where: str) -> dict[str, Any]:
    try:
        # Anchors and aliases are refused before anything is built: nested aliases expand
        # exponentially (a 445-byte "billion laughs" grew to 3 GB).
        for token in yaml.scan(raw, Loader=yaml.SafeLoader):
            if isinstance(token, (yaml.AnchorToken, yaml.AliasToken)):
                raise InputError(
                    f"Cannot read {where}: YAML anchors and aliases ('&name', '*name') are not"
                    f" accepted (line {token.start_mark.line + 1}). Write each value out in full."
                )
        value = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        at = f" line {line + 1}" if line is not None else ""
        raise InputError(
            f"Cannot read {where}: invalid YAML{at}. Fix it as 'key: value' lines."
        ) from None
    except ValueError as exc:  # a date like 2023-02-30, an integer too long to convert
        raise InputError(
            f"Cannot read {where}: a value cannot be read ({exc}). Fix it, or quote it to keep"
            " it as text."
        ) from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(
            f"Cannot read {where}: it is not a mapping. Write it as 'key: value' lines."
        )
    return {str(key): val for key, val in value.items()}


def _html_text(html: str, path: Path, fields: dict[str, Any]) -> str:
    import trafilatura  # imported here: only HTML input pays for it

    body = trafilatura.extract(html, include_comments=False, favor_precision=True)
    if not body or not body.strip():
        raise InputError(
            f"Cannot read '{path}': no main text found in the HTML. "
            "Save the article text as .txt or pass --skip-bad."
        )
    meta = trafilatura.extract_metadata(html)
    if meta is not None:
        for key, value in (("title", meta.title), ("date", meta.date), ("url", meta.url)):
            if value and not fields.get(key):
                fields[key] = value
    if not fields.get("title"):
        match = re.search(r"<title[^>]*>(.*?)</title>", html, re.IGNORECASE | re.DOTALL)
        if match and match.group(1).strip():
            fields["title"] = " ".join(match.group(1).split())
    return body


def _read_jsonl(
    text: str, path: Path, skipped_rows: list | None
) -> tuple[list[dict[str, Any]], list[str]]:
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"Cannot read '{path}' line {number}: not valid JSON ({exc.msg}). "
                "Fix the line or pass --skip-bad."
            ) from None
        except ValueError as exc:  # an integer too long to convert
            raise InputError(
                f"Cannot read '{path}' line {number}: a value cannot be read ({exc}). "
                "Write long ids as strings, or pass --skip-bad."
            ) from None
        if not isinstance(row, dict):
            raise InputError(
                f"Cannot read '{path}' line {number}: expected a JSON object with a 'text' key. "
                "Fix the line or pass --skip-bad."
            )
        rows.append((number, row))
    return _table_records(rows, path, "line", skipped_rows)


def _read_csv(
    text: str, path: Path, skipped_rows: list | None
) -> tuple[list[dict[str, Any]], list[str]]:
    try:
        frame = pl.read_csv(io.BytesIO(text.encode("utf-8")), infer_schema=False)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            f"Cannot read '{path}': not valid CSV ({first}). Fix it or pass --skip-bad."
        ) from None
    return _frame_records(frame, path, skipped_rows)


def _read_parquet(path: Path, skipped_rows: list | None) -> tuple[list[dict[str, Any]], list[str]]:
    if path.stat().st_size == 0:
        raise InputError(f"Cannot read '{path}': the file is empty. Remove it or pass --skip-bad.")
    try:
        frame = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            f"Cannot read '{path}': not a valid Parquet file ({first}). Fix it or pass --skip-bad."
        ) from None
    return _frame_records(frame, path, skipped_rows)


def _frame_records(
    frame: pl.DataFrame, path: Path, skipped_rows: list | None
) -> tuple[list[dict[str, Any]], list[str]]:
    if "text" not in frame.columns:
        raise InputError(
            f"Cannot read '{path}': no 'text' column (columns: {', '.join(frame.columns)}). "
            "Name the column holding the document text 'text'."
        )
    rows = list(enumerate(frame.iter_rows(named=True), start=1))
    return _table_records(rows, path, "row", skipped_rows)


def _table_records(
    rows: list[tuple[int, dict[str, Any]]], path: Path, unit: str, skipped_rows: list | None
) -> tuple[list[dict[str, Any]], list[str]]:
    if not rows:
        raise InputError(
            f"Cannot read '{path}': the file has no rows. Remove it or pass --skip-bad."
        )
    records, warnings = [], []
    for number, row in rows:
        if "text" not in row:
            raise InputError(
                f"Cannot read '{path}' {unit} {number}: no 'text' key. "
                "Give each document its text under 'text'."
            )
        row = {str(key): value for key, value in row.items()}
        try:
            _check_types(row, f"'{path}' {unit} {number}")
            body = row.pop("text")
            records.append(
                _record(row, body, f"{path}:{number}", path, scrape=False, warnings=warnings)
            )
        except InputError as exc:  # this row's values; --skip-bad keeps the other rows
            if skipped_rows is None:
                raise
            skipped_rows.append((f"{path}:{number}", str(exc)))
    # One warning per file for extra columns, not one per row.
    return records, sorted(set(warnings))


def _check_types(row: dict[str, Any], where: str) -> None:
    """`text` must be text, the known fields text, numbers or dates, and `date` a real date (one
    rule for front matter, sidecars and every table row); NaN is no id."""
    for key, value in row.items():
        name = ALIASES.get(key, key)
        if name == "text" and value is not None and not isinstance(value, str):
            kind = "bytes" if isinstance(value, (bytes, bytearray)) else type(value).__name__
            raise InputError(
                f"Cannot read {where}: column 'text' holds {kind}, not text. Store the document"
                " text as a string, or pass --skip-bad."
            )
        if name not in FIELDS or value is None:
            continue
        if isinstance(value, (list, tuple, dict, bytes, bytearray)) or (
            isinstance(value, float) and not math.isfinite(value)
        ):
            shown = type(value).__name__ if not isinstance(value, float) else str(value)
            raise InputError(
                f"Cannot read {where}: column '{key}' holds {shown}, not text, a number or a"
                f" date. Fix the value of '{key}', or pass --skip-bad."
            )
        if name == "date" and (problem := _not_a_date(value)):
            raise InputError(
                f"Cannot read {where}: '{key}' is {str(value)[:80]!r}, {problem}. Write it as an"
                " ISO 8601 date (2023-06-25, 2023-06, 2023, or 2023-06-25T14:30:00Z), or"
                " pass --skip-bad."
            )


_DATE_SHAPE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


def _not_a_date(value: Any) -> str | None:
    """Why `value` is not an ISO 8601 date or date-time naming a real day (None when it is)."""
    if isinstance(value, (dt.date, dt.datetime)):  # YAML and Parquet dates
        return None
    text = str(value).strip()
    if not text:
        return None  # no date
    shape = _DATE_SHAPE.fullmatch(text)
    try:
        if shape:  # 2023, 2023-06, 2023-06-25
            year, month, day = (int(part) if part else 1 for part in shape.groups())
            dt.date(year, month, day)
        else:
            dt.datetime.fromisoformat(text)
    except ValueError as exc:  # the shape of a date but no such day or hour: say which part
        return "not a date" if "isoformat" in str(exc) else f"not a date ({exc})"
    return None


# --- one record ----------------------------------------------------------------------------------


def _record(
    fields: dict[str, Any],
    body: Any,
    where: str,
    path: Path,
    *,
    scrape: bool,
    warnings: list[str],
) -> dict[str, Any]:
    label = f"'{where}'"
    if scrape:
        _check_types(fields, label)
    known: dict[str, str | None] = {}
    extra: dict[str, Any] = {}
    for key, value in fields.items():
        name = ALIASES.get(key, key)
        if name in FIELDS and (name == key or name not in fields):
            known[name] = _as_string(value)
        elif key != "text":
            extra[key] = value
            if scrape:
                warnings.append(f"'{path}': unknown key '{key}' kept as metadata.")
            else:
                warnings.append(f"'{path}': unknown column '{key}' kept as metadata.")
    if body is None or (isinstance(body, str) and not body.strip()):
        raise InputError(f"Cannot read {label}: the text is empty. Remove it or pass --skip-bad.")
    body = body if isinstance(body, str) else str(body)
    if len(body.encode("utf-8", "replace")) > MAX_DOC_BYTES:
        raise _too_big(label)
    if not any(ch.isalpha() or ch.isdigit() for ch in body):
        raise InputError(
            f"Cannot read {label}: it holds no letters or digits (only punctuation, symbols or"
            " spaces), so there is nothing to compare. Remove it or pass --skip-bad."
        )
    text = clean_text(body, scrape=scrape)
    if not text:
        raise InputError(
            f"Cannot read {label}: no text left after removing boilerplate and duplicates. "
            "Check that it holds article text, or pass --skip-bad."
        )
    metadata = json.dumps(extra, sort_keys=True, ensure_ascii=False, default=str)
    for name, value in [*known.items(), ("text", text), ("metadata", metadata)]:
        if value is not None and _SURROGATE.search(value):
            raise InputError(
                f"Cannot read {label}: field '{name}' holds a lone surrogate"
                f" ({_SURROGATE.search(value).group()!a}), which is not Unicode text. Fix the"
                " escape sequence (a JSON \\uD800 must be followed by its pair), or pass --skip-bad."
            )
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    event = known.get("event_id") or path.resolve().parent.name or "default"
    if len(event) > MAX_EVENT_ID_CHARS:
        raise InputError(
            f"Cannot read {label}: its event_id '{event[:40]}...' is {len(event)} characters long;"
            f" the limit is {MAX_EVENT_ID_CHARS}. Give it a shorter event_id (or folder name)."
        )
    return {
        **{name: known.get(name) for name in FIELDS},
        "doc_id": known.get("doc_id") or sha[:16],
        "event_id": event,
        "text": text,
        "content_sha256": sha,
        # a file name that is not UTF-8 keeps its readable part
        "path": where.encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
        "metadata": metadata,
        "_explicit_id": known.get("doc_id") is not None,
    }


def _as_string(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):  # YAML and Parquet dates -> ISO 8601
        return value.isoformat()
    text = str(value).strip()
    return text or None


DETECT_CHUNK = 250  # texts a worker reads at once; fewer than this stay in this process


def _detect_languages(documents: list[dict[str, Any]], workers: int) -> None:
    """Set `lang` where a document gives none: the language its text is written in
    (`lang.detect`), chunks of DETECT_CHUNK texts on `workers` processes."""
    missing = [doc for doc in documents if not doc["lang"]]
    texts = [doc["text"] for doc in missing]
    chunks = [texts[i : i + DETECT_CHUNK] for i in range(0, len(texts), DETECT_CHUNK)]
    codes = (code for chunk in imap(_detect_chunk, chunks, workers) for code in chunk)
    for doc, code in zip(missing, codes, strict=True):
        doc["lang"] = code


def _detect_chunk(texts: list[str]) -> list[str | None]:
    return [lang.detect(text) for text in texts]


def _drop_duplicate_documents(records: list[dict[str, Any]], warnings: list[str]) -> list[dict]:
    """Same text -> keep the first; same doc_id with other text -> InputError naming both."""
    by_id: dict[str, dict] = {}
    by_sha: dict[str, dict] = {}
    kept = []
    for rec in records:
        first = by_id.get(rec["doc_id"])
        if first is not None and first["content_sha256"] != rec["content_sha256"]:
            raise InputError(
                f"Two documents have doc_id '{rec['doc_id']}' but different text: "
                f"'{first['path']}' and '{rec['path']}'. Give each a distinct doc_id."
            )
        same_text = by_sha.get(rec["content_sha256"])
        # Two inputs the user named apart (distinct explicit ids) stay two documents.
        named_apart = (
            same_text is not None
            and rec["_explicit_id"]
            and same_text["_explicit_id"]
            and same_text["doc_id"] != rec["doc_id"]
        )
        if first is not None or (same_text is not None and not named_apart):
            original = first or same_text
            warnings.append(
                f"'{rec['path']}' has the same text as '{original['path']}'; kept the first."
            )
            continue
        by_id[rec["doc_id"]] = rec
        by_sha.setdefault(rec["content_sha256"], rec)
        kept.append(rec)
    return kept
