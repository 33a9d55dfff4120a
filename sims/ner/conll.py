"""Reading CoNLL-format NER files.

Accepts what is found in the wild: 2 columns (word, tag) or 4 (word, POS,
chunk, tag; the last column is always the NER tag), IOB1 or IOB2 tags
(always returned as IOB2), LF or CRLF line endings, ``-DOCSTART-`` lines and
runs of blank lines.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qcircuits.errors import ConfigurationError


class ConllFormatError(ConfigurationError):
    """A CoNLL file is missing, empty or malformed; the message gives file and line."""


@dataclasses.dataclass(frozen=True)
class Sentence:
    """One sentence: words and their IOB2 tags."""

    words: tuple[str, ...]
    tags: tuple[str, ...]


def iob1_to_iob2(tags: list[str]) -> list[str]:
    """Converts IOB1 (``I-`` starts an entity unless it continues one) to IOB2.

    IOB2 input is returned unchanged, so the conversion is safe to apply always.
    """
    out = []
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and (previous == "O" or previous[2:] != tag[2:]):
            tag = "B-" + tag[2:]
        out.append(tag)
        previous = tag
    return out


def _check_tag(tag: str, path: Path, line_no: int) -> None:
    if tag == "O":
        return
    if len(tag) < 3 or tag[:2] not in ("B-", "I-"):
        raise ConllFormatError(
            f"{path}:{line_no}: invalid NER tag {tag!r}; expected O, B-TYPE or I-TYPE.")


def check_encoding(encoding: str) -> str:
    """The canonical name of a text encoding.

    Raises:
        ConllFormatError: for an encoding Python does not know, or a codec that does not
            turn bytes into text (``rot13``, ``base64``, ``zlib``).
    """
    import codecs

    try:
        name = codecs.lookup(encoding).name
        bytes(4).decode(name, "ignore")  # bytes-to-bytes and text-to-text codecs raise LookupError here
    except (LookupError, TypeError, ValueError):
        raise ConllFormatError(f"Unknown text encoding {encoding!r}; expected e.g. utf-8 or latin-1.") from None
    return name


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_FIELD_SEPARATOR = re.compile(r"[ \t]+")


def _lines(path: Path, encoding: str):
    """``(line number, text)`` for each line (LF, CRLF or CR); a byte that does not decode is named.

    The whole file is decoded before it is split, so that multi-byte encodings (UTF-16) work, and
    only LF, CRLF and CR end a line: Latin-1 text may hold U+0085, which ``str.splitlines`` would
    also break on.
    """
    data = path.read_bytes()
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line_no = len(_LINE_BREAK.split(data[:exc.start].decode("latin-1")))
        line_start = max(data.rfind(b"\n", 0, exc.start), data.rfind(b"\r", 0, exc.start)) + 1
        hint = " (older corpora such as the German CoNLL-2003 files are Latin-1: --data-encoding latin-1)" \
            if encoding == "utf-8" else ""
        raise ConllFormatError(
            f"{path}:{line_no}: byte 0x{data[exc.start]:02x} at column {exc.start - line_start + 1} is not "
            f"valid {encoding}{hint}.") from None
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte-order mark is not part of the first word
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    yield from enumerate(lines, start=1)


def file_lines(path: Path, encoding: str = "utf-8", what: str = "File"):
    """``(line number, text)`` of a text file, with the reader's checks and one-line errors.

    Raises:
        ConllFormatError: for an unknown encoding, a missing file or a folder, or a byte that
            does not decode.
    """
    path = Path(path)
    encoding = check_encoding(encoding)
    if path.is_dir():
        raise ConllFormatError(f"{what} {str(path)!r} is a folder; expected a file.")
    if not path.is_file():
        raise ConllFormatError(f"{what} {str(path)!r} does not exist.")
    return _lines(path, encoding)


def read_tokens(path: str | Path, encoding: str = "utf-8") -> list[tuple[str, ...]]:
    """The sentences of a CoNLL file without looking at tags: the first column of each line.

    Raises:
        ConllFormatError: as :func:`file_lines`, or when the file holds no tokens.
    """
    sentences: list[tuple[str, ...]] = []
    words: list[str] = []
    for _, line in file_lines(Path(path), encoding):
        fields = [field for field in _FIELD_SEPARATOR.split(line) if field]
        if not fields or fields[0] == "-DOCSTART-":
            if words:
                sentences.append(tuple(words))
                words = []
            continue
        words.append(fields[0])
    if words:
        sentences.append(tuple(words))
    if not sentences:
        raise ConllFormatError(f"File {str(path)!r} holds no tokens.")
    return sentences


def read_conll(path: str | Path, encoding: str = "utf-8") -> list[Sentence]:
    """Reads a CoNLL file into sentences with IOB2 tags.

    Args:
        path: the file.
        encoding: its text encoding (``utf-8`` by default; ``latin-1`` for older corpora).

    Raises:
        ConllFormatError: if the file is missing, empty or not in ``encoding``, or a line
            has the wrong number of columns or an invalid tag (with file and line number).
    """
    path = Path(path)
    lines = file_lines(path, encoding, "CoNLL file")
    sentences: list[Sentence] = []
    words: list[str] = []
    tags: list[str] = []
    columns = None

    def flush() -> None:
        if words:
            sentences.append(Sentence(tuple(words), tuple(iob1_to_iob2(tags))))
            words.clear()
            tags.clear()

    for line_no, line in lines:
        # Columns are separated by spaces or tabs only: U+00A0 or U+0085 inside a Latin-1 word is text.
        fields = [field for field in _FIELD_SEPARATOR.split(line) if field]
        if not fields:
            flush()
            continue
        if fields[0] == "-DOCSTART-":
            flush()
            continue
        if columns is None:
            columns = len(fields)
            if columns < 2:
                raise ConllFormatError(
                    f"{path}:{line_no}: expected at least 2 columns (word ... tag); got {line!r}.")
        if len(fields) != columns:
            raise ConllFormatError(
                f"{path}:{line_no}: expected {columns} columns like the first line; got {len(fields)} "
                f"in {line!r}.")
        _check_tag(fields[-1], path, line_no)
        words.append(fields[0])
        tags.append(fields[-1])
    flush()
    if not sentences:
        raise ConllFormatError(f"CoNLL file {str(path)!r} holds no sentences.")
    return sentences


SPLIT_FILES = {
    "train": ("train.txt", "eng.train", "train.conll", "train"),
    "dev": ("dev.txt", "valid.txt", "eng.testa", "dev.conll", "dev", "valid"),
    "test": ("test.txt", "eng.testb", "test.conll", "test"),
}


def find_split_files(data_dir: str | Path) -> dict[str, Path]:
    """Finds train/dev/(test) files in ``data_dir`` by their usual names.

    Raises:
        ConllFormatError: if the folder, or its train or dev file, is missing.
    """
    data_dir = Path(data_dir)
    if data_dir.is_file():
        raise ConllFormatError(f"Data directory {str(data_dir)!r} is a file; expected a folder holding "
                               "train and dev files (train.txt, eng.train, ...).")
    if not data_dir.is_dir():
        raise ConllFormatError(f"Data directory {str(data_dir)!r} does not exist.")
    found = {}
    for split, names in SPLIT_FILES.items():
        for name in names:
            if (data_dir / name).is_file():
                found[split] = data_dir / name
                break
    for split in ("train", "dev"):
        if split not in found:
            raise ConllFormatError(
                f"No {split} file in {str(data_dir)!r}; expected one of {', '.join(SPLIT_FILES[split])}.")
    return found


def tag_set(train: list[Sentence]) -> list[str]:
    """Tags seen in training, ``O`` first, then sorted by type and prefix."""
    tags = {t for s in train for t in s.tags}
    return ["O"] + sorted(tags - {"O"}, key=lambda t: (t[2:], t[:2]))


def check_known_tags(sentences: list[Sentence], known: list[str], split: str, path: Path | str,
                     hint: str = "") -> dict[str, int]:
    """Warns on stderr about tags that training never saw, with their counts.

    The model cannot predict such a tag, so each of its entities is scored as missed; that
    is a fact about the data (often a subsampled training file), not a reason to stop.

    Returns:
        ``{tag: occurrences}`` of the unseen tags (empty when every tag is known).
    """
    import collections
    import sys

    known_set = set(known)
    unseen = collections.Counter(t for sentence in sentences for t in sentence.tags if t not in known_set)
    if unseen:
        listed = ", ".join(f"{tag} ({count})" for tag, count in sorted(unseen.items()))
        print(f"warning: the {split} file {str(path)!r} has tags that never occur in the training data: {listed}; "
              f"they are scored as always wrong{hint}.", file=sys.stderr)
    return dict(unseen)


_WORDS = re.compile(r"\w+(?:[-'.]\w+)*|[^\w\s]")


def split_words(text: str) -> tuple[str, ...]:
    """Splits raw text into words and punctuation, CoNLL-style."""
    return tuple(_WORDS.findall(text))


def sentence_words(sentences: Any, first: int = 0) -> list[tuple[str, ...]]:
    """The words of each sentence given to :meth:`NerTrainer.predict` (or ``predict``), every value checked.

    A string is one sentence (not a list of one-character sentences).

    Args:
        sentences: a sentence, or a list of sentences (strings or lists of words).
        first: the number of the first sentence in messages (1 for command-line arguments).

    Raises:
        ConfigurationError: naming the first sentence or word that is empty or of the wrong type.
    """
    if isinstance(sentences, str):
        sentences = [sentences]
    if not isinstance(sentences, Sequence) or isinstance(sentences, bytes):
        raise ConfigurationError(f"predict takes a sentence (str) or a list of sentences; "
                                 f"got {type(sentences).__name__}.")
    words = []
    for i, sentence in enumerate(sentences, start=first):
        if isinstance(sentence, str):
            found = split_words(sentence)
        elif isinstance(sentence, Sequence) and not isinstance(sentence, bytes):
            bad = [w for w in sentence if not isinstance(w, str) or not w.strip()]
            if bad:
                raise ConfigurationError(f"Sentence {i} has the word {bad[0]!r}; expected words as non-empty "
                                         "strings.")
            found = tuple(sentence)
        else:
            raise ConfigurationError(f"Sentence {i} is {sentence!r} ({type(sentence).__name__}); expected a "
                                     "string or a list of words.")
        if not found:
            text = f" (no words in {sentence!r})" if isinstance(sentence, str) else ""
            raise ConfigurationError(f"Sentence {i} is empty{text}; expected at least one word per sentence.")
        words.append(found)
    return words
