"""Atomic file output: a reader never sees a half-written file.

Writes go to a temporary file in the destination folder, then ``os.replace``
moves it into place, so an interrupted run leaves the previous file intact.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

from qcircuits.errors import ConfigurationError


def check_writable(path: str | os.PathLike) -> Path:
    """Fails early, before any work, if ``path`` cannot be written.

    Raises:
        ConfigurationError: if the folder is missing or read-only, or the path is a folder.
    """
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


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yields a temporary path beside ``path``; moves it onto ``path`` on success."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    """Writes ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | os.PathLike, data: Any) -> None:
    """Writes ``data`` as indented JSON to ``path`` atomically."""
    write_text(path, json.dumps(data, indent=2, default=_jsonable) + "\n")


def write_csv(path: str | os.PathLike, rows: list[dict[str, Any]]) -> None:
    """Writes dicts with the same keys as CSV (header from the first row) atomically."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    write_text(path, buffer.getvalue())


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    return str(value)
