"""What defines a NER run: :class:`NerOptions` (saved in its config.json), without TensorFlow.

The command lines, the sweep checks and the run folders read these without paying for
TensorFlow's start-up.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qcircuits.errors import ConfigurationError
from qcircuits.plugins import DEFAULT_ANSATZ
from qcircuits.validation import check_int, check_positive_number, check_seed
from sims.ner.defaults import (
    AUTO,
    LEGACY_DEFAULTS,
    resolve_encoder_features,
    resolve_entangler,
    resolve_init,
    resolve_scaling,
)
from sims.ner.heads import (
    ENCODER_FEATURES,
    INITS,
    READOUTS,
    SCALINGS,
    Head,
    HeadDesign,
    check_choice,
    get_head,
    head_names,
)
from sims.ner.rundir import RunDir, RunDirError
from sims.option_fields import (
    field_values,
    integer,
    noise_spec,
    option,
    option_dest,
    option_flag,
    positive_float,
    positive_int,
    shot_count,
)
from sims.option_fields import seed as seed_type

__all__ = ["ARGUMENT_GROUPS", "DEFAULTS", "NerOptions", "option_dest", "option_flag", "options_from_config"]

DEMO_DATA = Path(__file__).parent / "demo_data"


def _training_backends() -> tuple[str, ...]:
    from sims.backends import backend_names

    return backend_names(differentiable=True, with_auto=True)


TRAINING_BACKENDS = _training_backends()


@dataclasses.dataclass
class DataArguments:
    """What the run reads: the corpus, how much of it, and where encoder outputs are cached."""

    data_dir: str | None = option(None, "folder with train/dev(/test) CoNLL files (default: the small demo "
                                        "corpus shipped with the project)")
    data_encoding: str = option("utf-8", "text encoding of the data files (default: utf-8; latin-1 for older "
                                         "corpora such as the German CoNLL-2003 files)")
    max_sentences: int | None = option(None, "use only the first N training sentences", type=positive_int)
    max_length: int = option(128, "sub-tokens per window", type=positive_int)
    cache_dir: str | None = option(None, "where frozen encoder outputs are cached")


@dataclasses.dataclass
class ModelArguments:
    """The model: the encoder, the head and its design, and the circuit of a quantum head."""

    head: str = option("quantum", f"{', '.join(head_names())} (or one registered by a --plugin module), or a "
                                  "comma list to compare heads (default: %(default)s)")
    encoder: str = option("minilm", "minilm (offline default), a local model folder, a hub name, or tiny "
                                    "(random, tests)")
    encoder_features: str | None = option(None, "frozen encoder: the sum of the last four layers (default, as in "
                                                  "the BERT paper's feature-based NER), their concatenation, or the "
                                                  "last layer; with --fine-tune the head reads the last layer",
                                          choices=ENCODER_FEATURES)
    fine_tune: bool = option(False, "train the encoder too (default: frozen)")
    ansatz: str = option(DEFAULT_ANSATZ, "registered ansatz, or a comma list to compare several quantum "
                                               "heads (default: %(default)s)", circuit=True)
    qubits: int = option(8, "quantum width = bottleneck width (default: %(default)s)", type=integer, circuit=True)
    depth: int = option(2, "circuit layers (default: %(default)s)", type=integer, circuit=True)
    entanglement: str | None = option(None, "entanglement pattern of the circuit", circuit=True)
    encoding: str = option("angle_y_plus", "data encoding of the circuit (default: %(default)s, H then RY: "
                                           "each readout starts monotone, like a tanh unit)", circuit=True)
    reupload: bool = option(False, "repeat the encoding before every layer; with --trainable-scaling each layer "
                                   "scales its angles with its own factors", circuit=True)
    backend: str = option("auto", "quantum layer backend: auto (default), statevector or tfq (training needs "
                                  "gradients)", circuit=True)
    entangler: str | None = option(AUTO, "hardware_efficient's entangler: cx, cz, or parametrised cry, crx, crz, "
                                         "rzz; auto (default): cry where the ansatz takes an entangler, so the "
                                         "circuit can start as the identity and still train its entanglers (crz "
                                         "cannot leave that start)")
    scaling: str | None = option(None, "projection -> angles: linear (as is), tanh (pi/2 tanh), layernorm "
                                         "(layer normalisation, then pi/2 tanh), gudermannian (asin(tanh u): an "
                                         "H,RY qubit then reads -tanh u); the bottleneck twin applies tanh (after "
                                         "layernorm). Default: layernorm frozen, tanh with --fine-tune",
                                 choices=SCALINGS)
    trainable_scaling: bool = option(False, "a trainable per-feature factor before the scaling (both heads)")
    readout: str = option("z", "z: one readout per qubit; zz: plus Z_i Z_i+1; zz_all: plus every pair (the twin "
                               "appends the same products of its units) (default: %(default)s)",
                          flag="--head-readout", choices=READOUTS)
    init: str = option(AUTO, "circuit weights: uniform in [0, 2pi), small in [-0.1, 0.1], zeros (identity blocks "
                             "with a parametrised --entangler), or auto (default): zeros where every gate is then "
                             "the identity, else small",
                       flag="--circuit-init", choices=INITS)
    blocks: int = option(1, "residual blocks h + Q(h) (the twin: h + tanh(W h + b)) (default: %(default)s)",
                         type=positive_int)
    noise: str = option("none", "noise on the circuit: channels after every gate and readout error, e.g. "
                                "depolarize:0.01,readout:0.02 (default: none); the statevector engine runs "
                                "the exact density matrix", type=noise_spec)
    shots: int | None = option(None, "sampled readouts with N shots each, and parameter-shift gradients with "
                                     "the same shots, as hardware gives them (default: exact)", type=shot_count)


@dataclasses.dataclass
class TrainingArguments:
    """How the model is trained, and where the run goes."""

    run_dir: str | None = option(None, "output folder (default: runs/ner-<data>-<head>...); running again with "
                                       "the same options resumes it")
    epochs: int = option(10, "training epochs (default: %(default)s)", type=positive_int)
    batch_size: int | None = option(None, "words per batch (frozen: 128, 16 on the demo corpus) or windows per "
                                          "batch (fine-tune: 16)", type=positive_int)
    learning_rate: float | None = option(None, "Adam learning rate (default 2e-3 frozen, measured best of "
                                               "2e-3, 5e-3, 1e-2 for every head; 5e-5 fine-tune)",
                                         type=positive_float)
    head_learning_rate: float = option(5e-3, "with --fine-tune: Adam learning rate of the head "
                                             "(default: %(default)s)", type=positive_float)
    circuit_learning_rate: float | None = option(None, "Adam learning rate of the circuit weights (default: "
                                                       "that of the head)", type=positive_float)
    patience: int = option(3, "early stopping on dev entity F1 (default: %(default)s)", type=positive_int)
    seed: int = option(0, "random seed, 0 to 2^32-1 (default: %(default)s)", type=seed_type)
    tensorboard: bool = option(False, "write TensorBoard logs in the run folder")


ARGUMENT_GROUPS: tuple[tuple[str, type], ...] = (
    ("NER data", DataArguments), ("NER model: encoder, head and circuit", ModelArguments),
    ("NER training", TrainingArguments))


@dataclasses.dataclass
class NerOptions(DataArguments, ModelArguments, TrainingArguments):
    """Everything that defines a NER run (saved flat in the run's config.json).

    The union of :class:`DataArguments`, :class:`ModelArguments` and
    :class:`TrainingArguments`, checked as a whole; :meth:`parts` gives them apart and
    :meth:`combine` puts them together.
    """

    def __post_init__(self):
        head = get_head(self.head)
        check_int("qubits", self.qubits, minimum=1)
        check_int("depth", self.depth, minimum=1)
        check_int("epochs", self.epochs, minimum=1)
        check_int("patience", self.patience, minimum=1)
        check_int("max_length", self.max_length, minimum=8, maximum=512)
        if self.max_sentences is not None:
            check_int("max_sentences", self.max_sentences, minimum=1)
        if self.batch_size is None:  # the demo corpus has ~500 words: small batches, or it barely trains
            self.batch_size = 16 if (self.fine_tune or self.data_dir is None) else 128
        check_int("batch_size", self.batch_size, minimum=1)
        if self.learning_rate is None:
            self.learning_rate = 5e-5 if self.fine_tune else 2e-3
        for name in ("learning_rate", "head_learning_rate", "circuit_learning_rate"):
            if getattr(self, name) is not None or name != "circuit_learning_rate":
                check_positive_number(name, getattr(self, name))
        check_seed(self.seed)
        from sims.ner.conll import check_encoding

        self.data_encoding = check_encoding(self.data_encoding)
        self.scaling = resolve_scaling(self.scaling, self.fine_tune)
        self.design()  # validates the head options
        if self.encoder_features is not None:
            check_choice("encoder features", self.encoder_features, ENCODER_FEATURES)
        if self.fine_tune and self.encoder_features not in (None, "last"):
            raise ConfigurationError(f"encoder_features {self.encoder_features!r} is for a frozen encoder; "
                                     "with --fine-tune the head reads the last layer.")
        self.encoder_features = resolve_encoder_features(self.encoder_features, self.fine_tune)
        if self.entangler not in (None, AUTO):
            from qcircuits.builder import check_entangler

            check_entangler(self.entangler)
        if head.uses_circuit:  # the config records what ran, not "auto"
            self.entangler = resolve_entangler(self.ansatz, self.entangler)
            self.init = resolve_init(self.init, self.ansatz, self.qubits, self.ansatz_options())
        if head.uses_circuit and self.backend not in TRAINING_BACKENDS:
            raise ConfigurationError(f"Training needs gradients; backend {self.backend!r} gives none. "
                                     f"Expected one of {', '.join(TRAINING_BACKENDS)}.")

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> NerOptions:
        """The options of a run from a dict by option name (``head_readout``, ``epochs``, ...), as a
        sweep file or an API caller gives them: each value converted and checked as its command-line
        option is; an option left out takes its default.

        Raises:
            ConfigurationError: naming the option and what was expected.
        """
        return cls(**field_values(cls, values))

    @classmethod
    def combine(cls, data: DataArguments, model: ModelArguments, training: TrainingArguments) -> NerOptions:
        """The options of a run from its three parts (each default declared once, in its part)."""
        return cls(**dataclasses.asdict(data), **dataclasses.asdict(model), **dataclasses.asdict(training))

    def parts(self) -> tuple[DataArguments, ModelArguments, TrainingArguments]:
        """The data, model and training arguments of this run."""
        return tuple(kind(**{f.name: getattr(self, f.name) for f in dataclasses.fields(kind)})
                     for _, kind in ARGUMENT_GROUPS)

    def head_type(self) -> Head:
        """The registered kind of ``head``."""
        return get_head(self.head)

    def ansatz_options(self) -> dict[str, Any]:
        # Re-uploading with trainable scaling scales each layer's angles on its own (Perez-Salinas et
        # al. 2020): the circuit reads its own features per layer, which the head fills.
        from qcircuits.builder import PER_LAYER  # here: the command line reads this module without cirq

        reupload = PER_LAYER if self.reupload and self.trainable_scaling else self.reupload
        options = {"depth": self.depth, "encoding": self.encoding, "reupload": reupload}
        if self.entanglement:
            options["entanglement"] = self.entanglement
        if self.entangler and self.entangler != AUTO:
            options["entangler"] = self.entangler
        return options

    def design(self) -> HeadDesign:
        """The head's shape options (shared by the quantum head and its classical twin)."""
        return HeadDesign(scaling=resolve_scaling(self.scaling, self.fine_tune),
                          trainable_scaling=self.trainable_scaling, readout=self.readout, init=self.init,
                          blocks=self.blocks)

    def encoder_layers(self) -> str:
        """The encoder layers the head reads: ``encoder_features``, resolved for this run."""
        return resolve_encoder_features(self.encoder_features, self.fine_tune)

    def circuit_rate(self) -> float:
        """The circuits' learning rate: as asked, else the head's (fine-tune) or the model's (frozen)."""
        if self.circuit_learning_rate is not None:
            return self.circuit_learning_rate
        assert self.learning_rate is not None  # resolved in __post_init__
        return self.head_learning_rate if self.fine_tune else self.learning_rate

    def default_run_dir(self) -> Path:
        data = Path(self.data_dir).name if self.data_dir else "demo"
        name = f"ner-{data}-{self.head}" + self.head_type().run_name(self)
        return Path("runs") / (name + self.design_tag() + ("-finetuned" if self.fine_tune else ""))

    def design_tag(self) -> str:
        """The head options that differ from the defaults, for folder names and labels (``-linear-zz``).

        ``auto`` options are compared with what ``auto`` gives for this ansatz and these
        other options, so a run shows only what was chosen by hand.
        """
        parts = []
        head = self.head_type()
        if head.uses_design:
            design = self.design()
            default_scaling = resolve_scaling(None, self.fine_tune)
            if head.uses_circuit:
                parts += [design.scaling] if design.scaling != default_scaling else []
            elif (design.scaling == "layernorm") != (default_scaling == "layernorm"):
                # The twin's units are tanh either way: what differs is the layer normalisation.
                parts += ["layernorm" if design.scaling == "layernorm" else "no-layernorm"]
            parts += [design.readout] if design.readout != DEFAULTS["readout"] else []
            parts += ["scaled"] if design.trainable_scaling else []
            parts += [f"b{design.blocks}"] if design.blocks > 1 else []
        if head.uses_circuit:
            auto_init = resolve_init(AUTO, self.ansatz, self.qubits, self.ansatz_options())
            parts += [f"init-{self.init}"] if self.init != auto_init else []
            if self.entangler != resolve_entangler(self.ansatz, AUTO):
                parts += [self.entangler or "own-entangler"]
            parts += [self.encoding] if self.encoding != DEFAULTS["encoding"] else []
            parts += [f"ent-{self.entanglement}"] if self.entanglement else []
            parts += ["reupload"] if self.reupload else []
            parts += [f"clr{self.circuit_learning_rate:g}"] if self.circuit_learning_rate else []
        if self.encoder_features != resolve_encoder_features(None, self.fine_tune):
            parts += [f"features-{self.encoder_features}"]
        return "".join("-" + p for p in parts)


DEFAULTS: dict[str, Any] = {f.name: f.default for f in dataclasses.fields(NerOptions)}
# What an option a saved config lacks meant: it was made before the option existed.
SAVED_DEFAULTS: dict[str, Any] = {**DEFAULTS, **LEGACY_DEFAULTS}


def options_from_config(run: RunDir, config: dict[str, Any]) -> NerOptions:
    """The run's options from its config.json.

    Raises:
        RunDirError: if the saved options are not those of a NER run.
    """
    fields = {f.name for f in dataclasses.fields(NerOptions)}
    unknown = sorted(set(config["options"]) - fields)
    if unknown:
        raise RunDirError(f"{str(run.config_path)!r} has options this version does not know: {', '.join(unknown)}.")
    saved = {**SAVED_DEFAULTS, **config["options"]}
    try:
        return NerOptions(**saved)
    except TypeError as exc:
        raise RunDirError(f"{str(run.config_path)!r} is not a NER run config: {exc}") from None


def cache_variant(options: NerOptions, split: str) -> str:
    """What changes a split's frozen vectors besides the file: its encoding, and how much is read.

    ``--max-sentences`` is part of the key, so that a subset never replaces the full entry.
    """
    variant = "" if options.data_encoding == "utf-8" else options.data_encoding
    if split == "train" and options.max_sentences:
        variant += f"|first{options.max_sentences}"
    return variant
