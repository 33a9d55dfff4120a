"""Words to sub-tokens and back.

Labels live on words; BERT sees sub-tokens. Each word is represented by its
first sub-token (the others are ignored in the loss). A sentence longer than
the encoder's maximum length is split into consecutive windows of whole words,
so every word of every sentence gets a prediction.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Segment:
    """A window of one sentence that fits the encoder.

    Attributes:
        sentence: index of the sentence.
        start: index of the segment's first word in the sentence.
        words: the words of the window.
    """

    sentence: int
    start: int
    words: tuple[str, ...]


def split_sentences(tokenizer, sentences: list[tuple[str, ...]], max_length: int) -> list[Segment]:
    """Splits sentences into windows of whole words of at most ``max_length`` sub-tokens.

    Two positions are kept for [CLS] and [SEP]. A single word longer than the
    window keeps its first sub-tokens (its first sub-token is all that is used).
    """
    budget = max_length - 2
    segments = []
    flat_words = [w for s in sentences for w in s]
    lengths = [max(1, len(ids)) for ids in tokenizer(flat_words, add_special_tokens=False)["input_ids"]] \
        if flat_words else []
    position = 0
    for index, words in enumerate(sentences):
        start, used = 0, 0
        for offset, _word in enumerate(words):
            size = min(lengths[position + offset], budget)
            if used + size > budget and offset > start:
                segments.append(Segment(index, start, tuple(words[start:offset])))
                start, used = offset, 0
            used += size
        segments.append(Segment(index, start, tuple(words[start:])))
        position += len(words)
    return segments


def tokenize_segments(tokenizer, segments: list[Segment], max_length: int) -> dict[str, np.ndarray]:
    """Tokenizes segments with padding to the longest.

    Returns:
        ``input_ids``, ``attention_mask`` (``[n, T]``), ``word_positions``
        (``[n, W]``: the first sub-token of each word, 0 for padding) and
        ``word_mask`` (``[n, W]``).
    """
    encoded = tokenizer([list(s.words) for s in segments], is_split_into_words=True, padding=True,
                        truncation=True, max_length=max_length, return_tensors="np")
    width = max(len(s.words) for s in segments)
    positions = np.zeros((len(segments), width), dtype=np.int32)
    mask = np.zeros((len(segments), width), dtype=bool)
    for row, segment in enumerate(segments):
        seen = set()
        for token_index, word_id in enumerate(encoded.word_ids(row)):
            if word_id is not None and word_id not in seen:
                seen.add(word_id)
                positions[row, word_id] = token_index
                mask[row, word_id] = True
        if len(seen) != len(segment.words):  # cannot happen with a window that fits; guard anyway
            raise AssertionError(f"segment {row}: {len(seen)} of {len(segment.words)} words tokenized")
    return {"input_ids": encoded["input_ids"].astype(np.int32),
            "attention_mask": encoded["attention_mask"].astype(np.int32),
            "word_positions": positions, "word_mask": mask}
