"""Decoding one file's bytes: UTF-8 (BOM optional), UTF-16 with a BOM, else Latin-1 when that
reads as text; binary files are refused before decoding."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from compare.errors import InputError

# A valid UTF-8 sequence of two to four bytes: a file holding one is UTF-8, whatever else it holds.
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


def decode(data: bytes, path: Path, warnings: list[str]) -> str:
    """utf-8 (BOM optional), utf-16 with BOM, else latin-1 when that reads as mostly text.

    A file with at least one valid multi-byte UTF-8 sequence is UTF-8 even with a few bad bytes:
    those become U+FFFD and a warning gives their byte offsets (Latin-1 would garble every
    non-ASCII character instead). Latin-1 is read only when no such sequence exists, with a note.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not data.startswith(
        codecs.BOM_UTF32_LE
    ):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(
                f"Cannot read '{path}': it starts with a UTF-16 byte-order mark but is not valid "
                "UTF-16. Re-save it as UTF-8."
            ) from None
        if _control_share(text) > 0.10:
            raise _binary(path)
        return text
    if b"\x00" in data or _control_share(data) > 0.10:
        raise _binary(path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if _UTF8_MULTIBYTE.search(data):
        offsets = _bad_utf8_offsets(data)
        shown = ", ".join(map(str, offsets[:5])) + (
            f" (+{len(offsets) - 5} more)" * (len(offsets) > 5)
        )
        warnings.append(
            f"'{path}' is UTF-8 with {len(offsets)} invalid byte(s) at offset(s) {shown}; they were"
            " replaced with U+FFFD. Re-save it as UTF-8 to keep those characters."
        )
        return data.decode("utf-8-sig", errors="replace")
    text = data.decode("latin-1")
    printable = sum(ch.isprintable() or ch.isspace() for ch in text)
    if printable < 0.95 * len(text):
        raise InputError(
            f"Cannot read '{path}': its text encoding is not UTF-8, UTF-16 or Latin-1. "
            "Re-save it as UTF-8."
        )
    warnings.append(f"'{path}' is not UTF-8; read it as Latin-1. Re-save it as UTF-8 if it is not.")
    return text


def _bad_utf8_offsets(data: bytes) -> list[int]:
    offsets, position, view = [], 0, memoryview(data)
    while position < len(data):
        try:
            codecs.utf_8_decode(view[position:], "strict", True)
            break
        except UnicodeDecodeError as exc:
            offsets.append(position + exc.start)
            position += exc.end
    return offsets


# Control characters other than tab, newline, form feed and carriage return
_CONTROL_BYTES = bytes([*range(9), 11, *range(14, 32), 127])
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _control_share(data: bytes | str) -> float:
    if isinstance(data, bytes):
        bad = len(data) - len(data.translate(None, _CONTROL_BYTES))
    else:
        bad = len(_CONTROL.findall(data))
    return bad / max(len(data), 1)


def _binary(path: Path) -> InputError:
    return InputError(
        f"Cannot read '{path}': it is a binary file, not text. Remove it or pass --skip-bad."
    )
