"""Where each symbol's value comes from (per-sample columns or shared scalars), and every gate's phases
from one table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from sims.backends.statevector.gates import GateTerm
from sims.backends.statevector.tensors import const, stored, take, unit_phase
from sims.tf_env import tf


class PhaseTable:
    """Every parameterised gate's frequencies, so that all their phases come from one operation.

    ``exp(i omega_k v)`` for every gate term ``k`` of every gate is one gather, one
    product and one ``cos``/``sin`` for the whole circuit, instead of several small
    operations per gate (which dominate on small states and in tracing time).
    """

    def __init__(self, terms: Sequence[GateTerm], per_sample_index: dict[int, int], shared_index: dict[int, int]):
        # Per gate term: (per-sample kind, its part of that kind's table). Each gate's columns are one
        # part, so that one split gives every gate its phases (one operation, and one concatenation in
        # the gradient, instead of a slice per gate and a full-size gradient per slice).
        self.parts: dict[int, tuple[bool, int]] = {}
        self.sizes: dict[bool, list[int]] = {True: [], False: []}
        columns: dict[bool, list[int]] = {True: [], False: []}
        frequencies: dict[bool, list[float]] = {True: [], False: []}
        for term in terms:
            if term.symbol is None or id(term) in self.parts:
                continue
            per_sample = term.symbol in per_sample_index
            column = per_sample_index[term.symbol] if per_sample else shared_index[term.symbol]
            self.parts[id(term)] = (per_sample, len(self.sizes[per_sample]))
            self.sizes[per_sample].append(len(term.frequencies))
            columns[per_sample] += [column] * len(term.frequencies)
            frequencies[per_sample] += list(term.frequencies)
        self.columns = {k: np.array(v, dtype=np.int64) for k, v in columns.items()}
        self.frequencies = {k: np.array(v) for k, v in frequencies.items()}


class SymbolValues:
    """Where each symbol's value comes from: a column of the per-sample values, or a shared scalar."""

    def __init__(self, per_sample, shared, per_sample_index: dict[int, int], shared_index: dict[int, int],
                 dtype, table: PhaseTable | None = None):
        self.per_sample: Any = None if per_sample is None else tf.cast(per_sample, dtype)
        self.shared: Any = None if shared is None else tf.cast(shared, dtype)
        self.per_sample_index, self.shared_index = per_sample_index, shared_index
        self.dtype = dtype
        self.table = table
        self._phases: dict[bool, list[tf.Tensor]] = {}

    def is_per_sample(self, symbol: int | None) -> bool:
        return symbol is not None and symbol in self.per_sample_index

    def value(self, symbol: int) -> tf.Tensor:
        """``[batch]`` for a per-sample symbol, ``[1]`` for a shared one."""
        if symbol in self.per_sample_index:
            return self.per_sample[:, self.per_sample_index[symbol]]
        return self.shared[self.shared_index[symbol]][None]

    def stacked(self, symbols: Sequence[int]) -> tf.Tensor:
        """``[batch or 1, len(symbols)]`` (columns in the order of ``symbols``)."""
        per = [s for s in symbols if self.is_per_sample(s)]
        if len(per) == len(symbols):
            return take(self.per_sample, [self.per_sample_index[s] for s in symbols])
        if not per:
            return take(self.shared, [self.shared_index[s] for s in symbols])[None]
        columns = [self.value(s) for s in symbols]
        batch = tf.shape(self.per_sample)[0]
        return tf.stack([tf.broadcast_to(c, [batch]) for c in columns], axis=-1)

    def phases(self, term: GateTerm, complex_dtype) -> tf.Tensor:
        """``exp(i omega_k v)`` of a gate, ``[batch or 1, K]``."""
        if self.table is None or id(term) not in self.table.parts:
            assert term.symbol is not None  # only parametrised gates have phases
            angles = self.value(term.symbol)[:, None] * const(term.frequencies, self.dtype)
            return unit_phase(angles)
        per_sample, part = self.table.parts[id(term)]
        if per_sample not in self._phases:
            source = self.per_sample if per_sample else self.shared[None]
            angles = (take(source, self.table.columns[per_sample])
                      * const(self.table.frequencies[per_sample], self.dtype))
            # Stored: gate matrices built from these are broadcast over the states (see stored).
            self._phases[per_sample] = tf.split(stored(unit_phase(angles)),
                                                self.table.sizes[per_sample], axis=1)
        return self._phases[per_sample][part]
