"""All-or-nothing writes: a file appears complete or not at all, and a failed write (a full disk,
a folder or FIFO in the way, a folder we cannot write to) is one user error naming the target."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Self

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


class Staging:
    """Files written one by one into a hidden folder inside `folder`, moved into place together
    by `commit` (renames, which need no space, with SIGINT and SIGTERM held back until the last
    one). Leaving the `with` block without `commit` (an error, Ctrl-C, SIGTERM) removes the hidden
    folder: `folder` is then exactly as it was.

        with Staging(out, what="the report") as staging:
            staging.add(out / "a.html", text)
            staging.commit()
    """

    def __init__(self, folder: Path, *, what: str = ""):
        self.folder, self.what = Path(folder), what
        self.staged: dict[Path, Path] = {}  # target -> staged file
        self.dir: Path | None = None

    def __enter__(self) -> Self:
        with _signals_held():  # the folder is made and remembered, or not made
            try:
                self.dir = Path(tempfile.mkdtemp(dir=self.folder, prefix=".narrative-compare-"))
            except OSError as exc:
                raise failed(self.folder, exc.strerror or str(exc), self.what) from None
        return self

    def add(self, path: Path, content: str | bytes) -> None:
        """Write `content` for `path` (a file of the folder) into the hidden folder."""
        assert self.dir is not None and path.parent == self.folder, path
        if why := blocked(path):
            raise failed(path, why, self.what)
        staged = self.dir / path.name
        data = content.encode("utf-8") if isinstance(content, str) else content
        try:
            staged.write_bytes(data)
            os.chmod(staged, 0o666 & ~_umask())
        except OSError as exc:
            raise failed(path, reason(exc), self.what) from None
        self.staged[path] = staged

    def commit(self) -> None:
        """Move every staged file onto its target; a signal arriving meanwhile is taken after."""
        for path in self.staged:
            if why := blocked(path):
                raise failed(path, why, self.what)
        with _signals_held():
            for path, staged in self.staged.items():
                os.replace(staged, path)

    def __exit__(self, *exc) -> None:
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def _signals_held():
    """SIGINT and SIGTERM wait until the block is done (then interrupt as usual)."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


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
