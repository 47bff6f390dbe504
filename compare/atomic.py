"""All-or-nothing writes: a file appears complete or not at all, and a failed write (a full disk,
a folder or FIFO in the way, a folder we cannot write to) is one user error naming the target."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from compare.errors import InputError


def blocked(path: Path) -> str | None:
    """Why `path` cannot be (re)written as a regular file, or None: a folder, a FIFO or another
    special file in the way, or a parent that is missing or not a folder."""
    try:
        mode = path.stat().st_mode  # a link to a file is replaced like the file
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        return exc.strerror or str(exc)
    if mode is not None and not stat.S_ISREG(mode):
        return f"it is {kind(mode)}, not a file"
    parent = path.parent
    if not parent.exists():
        return f"the folder '{parent}' does not exist"
    if not parent.is_dir():
        return f"'{parent}' is not a folder"
    return None


def kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device or other special file"


def write(path: str | Path, produce: Callable[[Path], object], *, what: str = "") -> Path:
    """Call `produce(tmp)` to write a temporary file beside `path`, then move it onto `path`
    (an atomic rename): `path` is never left half-written, and a failure leaves it as it was."""
    path = Path(path)
    if why := blocked(path):
        raise failed(path, why, what)
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:40]}.", suffix=".tmp")
        os.close(fd)
    except OSError as exc:
        raise failed(path, exc.strerror or str(exc), what) from None
    tmp = Path(name)
    try:
        produce(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) or io_error(exc):
            raise failed(path, reason(exc), what) from None
        raise
    return path


def write_all(files: dict[Path, str | bytes], *, what: str = "") -> list[Path]:
    """Write every file or none: each is written to a temporary file beside it, and only when all
    are complete are they moved into place (renames, which need no space)."""
    for path in files:
        if why := blocked(path):
            raise failed(path, why, what)
    staged: list[tuple[Path, Path]] = []
    current = next(iter(files), Path())
    try:
        for current, content in files.items():
            path = current
            fd, name = tempfile.mkstemp(
                dir=path.parent, prefix=f".{path.name[:40]}.", suffix=".tmp"
            )
            os.close(fd)
            staged.append((Path(name), path))
            data = content.encode("utf-8") if isinstance(content, str) else content
            Path(name).write_bytes(data)
            os.chmod(name, 0o666 & ~_umask())
    except OSError as exc:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise failed(current, reason(exc), what) from None
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, path in staged:
        os.replace(tmp, path)
    return list(files)


def remove_empty(folder: Path) -> None:
    """Remove `folder` if it is empty (a folder a failed write created)."""
    try:
        folder.rmdir()
    except OSError:
        pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def io_error(exc: BaseException) -> bool:
    """An error a writer library raises for a failed write (polars and DuckDB wrap the OSError)."""
    text = str(exc).lower()
    return any(
        words in text
        for words in ("no space left", "file too large", "os error", "read-only file system")
    )


def reason(exc: BaseException) -> str:
    """What went wrong, in the words of the operating system where a library wrapped them."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc)
    for words in ("No space left on device", "File too large", "Read-only file system"):
        if words.lower() in text.lower():
            return words
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def failed(path: Path, why: str, what: str = "") -> InputError:
    return InputError(
        f"Cannot write {what or 'the file'} '{path}': {why}. Nothing was written; give a"
        " file path in a folder you can write to, with space free."
    )
