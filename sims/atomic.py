"""Atomic file output: a reader never sees a half-written file.

Writes go to a temporary file in the destination folder, then ``os.replace``
moves it into place, so an interrupted run leaves the previous file intact.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from qcircuits.errors import ConfigurationError


def check_writable(path: str | os.PathLike) -> Path:
    """Fails early, before any work, if ``path`` cannot be written.

    Raises:
        ConfigurationError: if the folder is missing or read-only, or the path is a folder.
    """
    if not str(path):
        raise ConfigurationError("Output path '' is empty; expected a file path.")
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ConfigurationError(f"Output path {str(path)!r} is a directory; expected a file path.")
    if not parent.is_dir():
        raise ConfigurationError(f"Output folder {str(parent)!r} does not exist; create it first.")
    try:  # a real write probe: os.access is wrong for root and read-only mounts
        fd, probe = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ConfigurationError(f"Output path {str(path)!r} is not writable ({exc.strerror}).") from None
    if path.exists() and not os.access(path, os.W_OK):
        raise ConfigurationError(f"Output path {str(path)!r} is not writable.")
    return path


def ensure_dir(path: str | os.PathLike, what: str = "Output folder") -> Path:
    """Creates a folder (and its parents), or fails in one line if it cannot.

    Raises:
        ConfigurationError: if the folder cannot be created or is a file.
    """
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"{what} {str(path)!r} cannot be created ({exc.strerror}).") from None
    return path


def _default_mode() -> int:
    """The mode ``open()`` gives a new file: 0o666 minus the process umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


class OutputError(ConfigurationError):
    """An output file could not be written (disk full, a folder in the way, no permission)."""


def _output_error(path: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or str(exc)
    if isinstance(exc, IsADirectoryError) or path.is_dir():
        reason = "a directory is in the way"
    return OutputError(f"Cannot write {str(path)!r} ({reason}); the previous file, if any, is unchanged.")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yields a temporary path beside ``path``; moves it onto ``path`` on success.

    The file gets the mode a plain ``open()`` would give it (``mkstemp`` makes 0600),
    or keeps the mode of the file it replaces.

    Raises:
        OutputError: (a :class:`ConfigurationError`) when the file cannot be written: a full
            disk, a directory at ``path``, a read-only folder. The old file stays whole.
    """
    path = Path(path)
    if path.is_dir():
        raise _output_error(path, IsADirectoryError(21, "Is a directory"))
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
    except OSError as exc:
        raise _output_error(path, exc) from None
    try:
        yield Path(tmp)
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = _default_mode()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise _output_error(path, exc) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    """Writes ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | os.PathLike, data: Any) -> None:
    """Writes ``data`` as indented, strict JSON to ``path`` atomically.

    Non-finite floats (NaN, infinities) become ``null``: ``NaN`` and ``Infinity`` are
    not JSON, and strict parsers reject them.
    """
    write_text(path, json.dumps(finite(data), indent=2, default=_jsonable, allow_nan=False) + "\n")


def finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None (recursively; numpy values too)."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return finite(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_csv(path: str | os.PathLike, rows: list[dict[str, Any]]) -> None:
    """Writes dicts as CSV atomically: the header is every key, in order of first appearance.

    A row without one of the keys gets an empty cell (rows of a sweep differ when its
    configurations set different options).
    """
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(dict.fromkeys(key for row in rows for key in row)))
    writer.writeheader()
    writer.writerows(rows)
    write_text(path, buffer.getvalue())


def to_plain(value: Any) -> Any:
    """Dicts, lists and numbers only: tuples become lists and numpy values Python ones (recursively).

    Keras configs and JSON files both want this form.
    """
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    return value


def _jsonable(value: Any) -> Any:
    """``json.dumps``' fallback: numpy values as Python ones, anything else as its text."""
    plain = to_plain(value)
    return plain if plain is not value else str(value)
