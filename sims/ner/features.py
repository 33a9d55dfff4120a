"""Word vectors from an encoder: the first sub-token's vector for every word.

With a frozen encoder these are computed once and cached on disk (keyed by
the encoder, the file's size and modification time, and the maximum length),
so training epochs, resumed runs and head comparisons never run BERT again.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from sims.atomic import OutputError, atomic_path, ensure_dir
from sims.ner.alignment import Segment, split_sentences, tokenize_segments
from sims.ner.encoder import Encoder
from sims.tf_env import tf


def sentence_offsets(sentences: list[tuple[str, ...]]) -> np.ndarray:
    """``[n + 1]`` start index of each sentence's words in the flat word array."""
    return np.concatenate([[0], np.cumsum([len(s) for s in sentences])]).astype(np.int64)


def length_batches(segments: list[Segment], batch_size: int) -> list[list[int]]:
    """Segment indices grouped by similar length (less padding per batch)."""
    order = sorted(range(len(segments)), key=lambda i: len(segments[i].words))
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def feature_width(encoder: Encoder, layers: str = "last") -> int:
    """Width of the word vectors: the hidden size, or four times it for ``concat4``."""
    return encoder.hidden_size * (_layer_count(encoder) if layers == "concat4" else 1)


def _layer_count(encoder: Encoder) -> int:
    """How many of the last hidden layers ``sum4``/``concat4`` read (4, or all of a smaller model)."""
    return min(4, int(encoder.model.config.num_hidden_layers) + 1)


def encoder_outputs(encoder: Encoder, ids, attention, layers: str = "last", training: bool = False) -> tf.Tensor:
    """Token vectors: the last hidden layer, or the sum or concatenation of the last four.

    The feature-based NER of the BERT paper (Devlin et al. 2019, table 7) reads the sum or
    concatenation of the last four layers; the last layer alone is tuned for the model's
    own pre-training objective.
    """
    out = encoder.model(input_ids=ids, attention_mask=attention, training=training,
                        output_hidden_states=layers != "last")
    if layers == "last":
        return out.last_hidden_state
    chosen = list(out.hidden_states[-_layer_count(encoder):])
    return tf.add_n(chosen) if layers == "sum4" else tf.concat(chosen, axis=-1)


def word_vectors(encoder: Encoder, sentences: list[tuple[str, ...]], *, max_length: int | None = None,
                 batch_size: int = 64, desc: str = "encoding", layers: str = "last") -> np.ndarray:
    """``[total_words, width]`` float32: one vector per word, sentences concatenated.

    ``layers`` picks the encoder features (:data:`ENCODER_FEATURES`).
    """
    max_length = min(max_length or encoder.max_length, encoder.max_length)
    segments = split_sentences(encoder.tokenizer, sentences, max_length)
    offsets = sentence_offsets(sentences)
    out = np.zeros((int(offsets[-1]), feature_width(encoder, layers)), dtype=np.float32)

    @tf.function(reduce_retracing=True)
    def first_token_vectors(ids, attention, positions):
        return tf.gather(encoder_outputs(encoder, ids, attention, layers), positions, batch_dims=1)

    for batch in tqdm(length_batches(segments, batch_size), desc=desc, unit="batch", leave=False):
        chosen = [segments[i] for i in batch]
        arrays = tokenize_segments(encoder.tokenizer, chosen, max_length)
        vectors = first_token_vectors(arrays["input_ids"], arrays["attention_mask"],
                                      arrays["word_positions"]).numpy()
        rows, cols = np.nonzero(arrays["word_mask"])
        starts = np.array([offsets[s.sentence] + s.start for s in chosen])
        out[starts[rows] + cols] = vectors[rows, cols]
    return out


def cache_key(encoder_spec: str, source: Path, max_length: int, variant: str = "") -> str:
    """A key that changes when the encoder, the file, the window or the variant (how it is read) changes."""
    stat = source.stat()
    text = f"{encoder_spec}|{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{max_length}|{variant}"
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _load_cached(path: Path, shape: tuple[int, int]) -> np.ndarray | None:
    """A cache entry if it is readable and has the expected shape; else None (with a note)."""
    if path.exists() and not path.is_file():
        print(f"note: encoder cache {path} is not a file; encoding without the cache", file=sys.stderr)
        return None
    if not path.is_file():
        return None
    try:
        vectors = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        print(f"note: encoder cache {path} is unreadable ({type(exc).__name__}); rebuilding it", file=sys.stderr)
        return None
    if vectors.shape != shape or vectors.dtype != np.float32 or not np.all(np.isfinite(vectors)):
        print(f"note: encoder cache {path} does not match the data (shape {vectors.shape}, expected {shape}); "
              "rebuilding it", file=sys.stderr)
        return None
    return vectors


def cached_word_vectors(encoder: Encoder, sentences: list[tuple[str, ...]], source: Path, cache_dir: Path,
                        *, max_length: int, desc: str, variant: str = "", layers: str = "last") -> np.ndarray:
    """:func:`word_vectors`, read from ``cache_dir`` when computed before (frozen encoder only).

    A cache entry that cannot be read (truncated, corrupt) or does not match is rebuilt, with a note.
    """
    if encoder.spec == "tiny":  # random weights: nothing worth caching across processes
        return word_vectors(encoder, sentences, max_length=max_length, desc=desc, layers=layers)
    ensure_dir(cache_dir, "Encoder cache folder (--cache-dir)")
    if layers != "last":  # keys of the last-layer entries stay as they were
        variant = f"{variant}|{layers}"
    path = cache_dir / f"{cache_key(encoder.spec, source, max_length, variant)}.npy"
    vectors = _load_cached(path, (int(sentence_offsets(sentences)[-1]), feature_width(encoder, layers)))
    if vectors is not None:
        return vectors
    vectors = word_vectors(encoder, sentences, max_length=max_length, desc=desc, layers=layers)
    try:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as handle:
                np.save(handle, vectors)
    except OutputError as exc:  # the vectors are computed: a cache that cannot be written is no reason to stop
        print(f"note: encoder cache not written: {exc}", file=sys.stderr)
    return vectors
