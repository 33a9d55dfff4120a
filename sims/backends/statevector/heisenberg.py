"""The density-matrix mode in the Heisenberg picture: the readouts run backwards once per call.

A noisy layer's circuit is usually a data encoding on each qubit (with its channels)
followed by gates and channels whose parameters are the weights, shared by the whole
batch. With ``S`` the superoperator of the shared part and ``rho_x = kron_q rho_q(x)`` the
encoded product state, a readout is::

    <P>(x) = Tr(P S(rho_x)) = Re(c^T S vec(rho_x)) = Re((S^T c)^T vec(rho_x)),  c = vec(P^T)

so ``h = S^T c`` (the readout evolved backwards, "Heisenberg picture") is computed once
per call for the ``R`` readouts, as ``R`` rows through the transposed gates in reverse
order, planned and run like any batch of states (:mod:`.plan`, :class:`.program.Program`).
Each sample then costs one contraction of ``h`` with its product state, in the real Pauli
basis (``o_a = Tr(sigma_a O) / 2^n`` per readout, ``t_{q,a} = Tr(sigma_a rho_q)`` per qubit,
``<P> = sum_a o_a prod_q t_{q,a_q}``): ``R 4^n`` multiply-adds, against about ``4^n`` times the
number of fused blocks' widths for running the sample's own density matrix forward. At 8
qubits and a batch of 128 the batch costs about as much as its 8 readouts did.

It applies when every per-sample gate acts on one qubit before any gate or channel joins it
to another (the encoding), which :func:`split_encoding` checks; data re-uploading circuits
run forward (:mod:`.density`). Autodiff gives the gradients of both the weights (through
``h``) and the inputs (through ``t``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import cirq
import numpy as np

from sims.backends.statevector.gates import GateTerm
from sims.backends.statevector.kernels import gate_matrix
from sims.backends.statevector.plan import STEP_MS, Plan, plan_cost
from sims.backends.statevector.program import Program
from sims.backends.statevector.readouts import ReadoutTables
from sims.backends.statevector.tensors import const
from sims.backends.statevector.values import PhaseTable, SymbolValues
from sims.tf_env import tf

_PAULIS = np.stack([np.eye(2), cirq.unitary(cirq.X), cirq.unitary(cirq.Y), cirq.unitary(cirq.Z)]).astype(complex)
# [a, (r, c)]: o_a = sum_rc h[r, c] sigma_a[r, c] / 2 (one qubit pair of a readout functional).
_TO_PAULI_OBSERVABLE = (_PAULIS / 2).reshape(4, 4)
# [(r, c), a]: t_a = Tr(sigma_a rho) = sum_rc sigma_a[c, r] rho[r, c].
_TO_BLOCH = np.transpose(_PAULIS, (0, 2, 1)).reshape(4, 4).T.copy()

# Forward + gradient milliseconds per multiply-add of the contraction (real GEMM on the
# batch plus the elementwise rest), measured by benchmarks/heisenberg.py on 2 cores (2.07e-7).
CONTRACT_MS_PER_MAC = 2.1e-7


@dataclasses.dataclass(frozen=True)
class EncodingSplit:
    """A density circuit's terms split into per-qubit encodings and the shared rest.

    Attributes:
        n: qubits of the circuit (its terms act on ``2n`` virtual qubits).
        encoding: per qubit ``q``, the terms on virtual qubits ``q`` and ``q + n`` only, in order,
            before anything joins ``q`` to another qubit.
        rest: every other term, in order; none has a per-sample symbol.
    """

    n: int
    encoding: tuple[tuple[GateTerm, ...], ...]
    rest: tuple[GateTerm, ...]


def split_encoding(terms: Sequence[GateTerm], n: int, per_sample_symbols: set[int]) -> EncodingSplit | None:
    """Splits density-mode ``terms`` (:func:`.density.virtual_terms`) for the Heisenberg picture.

    A term whose virtual qubits all belong to one qubit ``q`` (``q`` and its column copy ``q + n``)
    goes to ``q``'s encoding while nothing has joined ``q`` to another qubit; the first term on
    several qubits closes them. The encoding terms commute with every earlier rest term (they
    share no qubit), so moving them to the front keeps the circuit.

    Returns:
        The split, or None when a per-sample term comes after its qubit was closed (the
        Heisenberg picture would need ``h`` per sample).
    """
    closed: set[int] = set()
    encoding: list[list[GateTerm]] = [[] for _ in range(n)]
    rest: list[GateTerm] = []
    for term in terms:
        owners = {q % n for q in term.qubits}  # virtual qubits q and q + n belong to qubit q
        if len(owners) == 1 and not owners & closed:
            encoding[owners.pop()].append(term)
            continue
        if term.symbol is not None and term.symbol in per_sample_symbols:
            return None
        closed |= owners
        rest.append(term)
    return EncodingSplit(n, tuple(tuple(e) for e in encoding), tuple(rest))


def transposed_reversed(terms: Sequence[GateTerm]) -> list[GateTerm]:
    """``S^T`` for ``S = T_L ... T_1``: the terms in reverse order, each matrix transposed."""
    return [dataclasses.replace(t, matrices=np.ascontiguousarray(np.transpose(t.matrices, (0, 2, 1))),
                                label=f"transpose({t.label})") for t in reversed(terms)]


def readout_functionals(readouts: Sequence, qubits: Sequence[cirq.Qid]) -> np.ndarray:
    """``[R, 4^n]`` complex: ``c = vec(P^T)`` per readout, so that ``Tr(P rho) = c^T vec(rho)``.

    Built qubit by qubit (``P^T = coefficient * kron_q sigma_q^T``), never as a ``2^n x 2^n`` product.
    """
    n = len(qubits)
    rows = []
    for readout in readouts:
        pauli: cirq.PauliString = cirq.PauliString(readout)
        t = np.asarray(complex(pauli.coefficient))
        for q in qubits:
            sigma = cirq.unitary(pauli[q]) if q in pauli else np.eye(2)
            t = np.multiply.outer(t, sigma.T)  # axes (r0, c0, r1, c1, ...)
        order = [2 * q for q in range(n)] + [2 * q + 1 for q in range(n)]
        rows.append(np.transpose(t, order).reshape(-1))
    return np.stack(rows)


def heisenberg_split(terms: Sequence, n: int, per_sample_symbols: set[int]) -> EncodingSplit | None:
    """:func:`split_encoding` when every term is a gate term (density mode), else None."""
    if not all(isinstance(t, GateTerm) for t in terms):
        return None
    return split_encoding(terms, n, per_sample_symbols)


class HeisenbergProgram:
    """Readouts of a density circuit from the readouts' backward run and each sample's product state.

    Args:
        split: from :func:`split_encoding`.
        walk: a plan over ``2n`` virtual qubits for :func:`transposed_reversed` of ``split.rest``,
            made without a product state (it starts from the readout functionals).
        readouts: the Pauli readouts; qubits: their qubit order.
        per_sample_index, shared_index, dtype: as for :class:`.program.Program`.
    """

    def __init__(self, split: EncodingSplit, walk: Plan, readouts: Sequence, qubits: Sequence[cirq.Qid],
                 per_sample_index: dict[int, int], shared_index: dict[int, int], dtype=tf.float32):
        self.split, self.n = split, split.n
        self.walk = Program(walk, ReadoutTables(None, (), len(readouts)), {}, shared_index, dtype)
        self.plan = walk  # what describe() and the memory estimate see
        self.functionals = readout_functionals(readouts, qubits)
        self.n_readouts = len(readouts)
        self.per_sample_index, self.shared_index = per_sample_index, shared_index
        self.dtype = dtype
        self.complex_dtype = tf.complex64 if dtype == tf.float32 else tf.complex128
        self.encoding_table = PhaseTable([t for e in split.encoding for t in e], per_sample_index, shared_index)
        self.head = (self.n + 1) // 2  # qubits of the contraction's GEMM side

    def describe(self) -> str:
        """One line, e.g. ``heisenberg(8 readouts): shared-block8(...) ...``."""
        return f"heisenberg({self.n_readouts} readouts, backwards): {self.walk.plan.describe()}"

    def cost(self, batch: int) -> float:
        """Forward + gradient milliseconds by the planner's model: the readouts' backward run, then the
        contraction of every sample."""
        operations = 2 * sum(len(e) for e in self.split.encoding) + 3 * self.n + 6  # beside the backward run
        return (plan_cost(self.walk.plan, self.n_readouts) + STEP_MS * operations
                + CONTRACT_MS_PER_MAC * batch * self.n_readouts * 4 ** self.n)

    def bytes_per_sample(self, bytes_per_amplitude: int) -> int:
        """Autodiff's memory per sample: the contraction's partial products (real)."""
        real = bytes_per_amplitude // 2
        return 4 * real * (self.n_readouts * 4 ** (self.n - self.head) + 4 ** self.head + 4 * self.n)

    def fixed_bytes(self, bytes_per_amplitude: int, copies: int) -> int:
        """Memory of the readouts' backward run (``copies`` states per row), whatever the batch."""
        return self.n_readouts * 4 ** self.n * bytes_per_amplitude * copies

    def observables(self, shared) -> tf.Tensor:
        """Real ``[R, 4^n]``: each readout evolved backwards, as Pauli coefficients ``o_a`` (qubit 0 most
        significant, ``a`` in I, X, Y, Z order)."""
        values = self.walk.symbol_values(None, shared)
        c = const(self.functionals, self.complex_dtype)
        h = self.walk.in_natural_order(self.walk.apply_steps(c, values, self.n_readouts))
        n, rows = self.n, self.n_readouts
        to_pauli = const(_TO_PAULI_OBSERVABLE.reshape(4, 2, 2), self.complex_dtype)
        x = tf.reshape(h, [rows, 2 ** n, 2 ** n, 1])  # [R, rows left, columns left, Pauli indices done]
        for done in range(n):
            left = 2 ** (n - done - 1)
            x = tf.reshape(x, [rows, 2, left, 2, left, 4 ** done])
            x = tf.einsum("arc,Rrxcyz->Rxyza", to_pauli, x)
        return tf.math.real(tf.reshape(x, [rows, 4 ** n]))

    def bloch(self, values: SymbolValues, batch) -> list[tf.Tensor]:
        """Per qubit, real ``[batch, 4]``: ``Tr(sigma_a rho_q)`` of its encoded state."""
        out = []
        for q, terms in enumerate(self.split.encoding):
            u = tf.constant([[[1, 0], [0, 0]]], self.complex_dtype)  # rho_q[r, c]
            for term in terms:
                m = gate_matrix(term, values, self.complex_dtype)
                if term.qubits == (q,):
                    u = tf.matmul(m, u)
                elif term.qubits == (q + self.n,):
                    u = tf.matmul(u, m, transpose_b=True)
                else:
                    flipped = term.qubits == (q + self.n, q)
                    if flipped:
                        u = tf.linalg.matrix_transpose(u)
                    u = tf.reshape(tf.matmul(m, tf.reshape(u, [-1, 4, 1])), [-1, 2, 2])
                    if flipped:
                        u = tf.linalg.matrix_transpose(u)
            t = tf.math.real(tf.matmul(tf.reshape(u, [-1, 4]), const(_TO_BLOCH, self.complex_dtype)))
            out.append(tf.broadcast_to(t, [batch, 4]))
        return out

    def expectations(self, per_sample, shared, batch) -> tf.Tensor:
        """``[batch, R]`` readouts: ``sum_a o_a prod_q t_{q,a_q}``."""
        values = SymbolValues(per_sample, shared, self.per_sample_index, self.shared_index, self.dtype,
                              self.encoding_table)
        o = self.observables(values.shared)
        t = self.bloch(values, batch)

        def kron(vectors: list[tf.Tensor]) -> tf.Tensor:
            out = vectors[0]
            for v in vectors[1:]:
                out = tf.reshape(out[:, :, None] * v[:, None, :], [batch, -1])
            return out

        head, rows = self.head, self.n_readouts
        tail = 4 ** (self.n - head)
        left = kron(t[:head])  # [batch, 4^head]
        right = kron(t[head:]) if head < self.n else tf.ones([batch, 1], self.dtype)
        weights = tf.reshape(tf.transpose(tf.reshape(o, [rows, 4 ** head, tail]), [1, 0, 2]), [4 ** head, rows * tail])
        partial = tf.reshape(tf.matmul(left, weights), [batch, rows, tail])
        return tf.linalg.matvec(partial, right)
