"""What defines a NER run: :class:`NerOptions` (saved in its config.json), without TensorFlow.

The command lines, the sweep checks and the run folders read these without paying for
TensorFlow's start-up.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

from qcircuits.errors import ConfigurationError
from qcircuits.validation import check_int
from sims.ner.design import ENCODER_FEATURES, HeadDesign, check_choice
from sims.ner.head_registry import Head, get_head
from sims.ner.rundir import RunDir, RunDirError

DEMO_DATA = Path(__file__).parent / "demo_data"


def _training_backends() -> tuple[str, ...]:
    from sims.backends import backend_names

    return backend_names(differentiable=True, with_auto=True)


TRAINING_BACKENDS = _training_backends()


@dataclasses.dataclass
class NerOptions:
    """Everything that defines a NER run (saved in the run's config.json)."""

    data_dir: str | None = None
    data_encoding: str = "utf-8"
    run_dir: str | None = None
    head: str = "quantum"
    ansatz: str = "strongly_entangling"
    qubits: int = 8
    depth: int = 2
    entanglement: str | None = None
    encoding: str = "angle_y"
    reupload: bool = False
    entangler: str | None = None
    scaling: str = "linear"
    trainable_scaling: bool = False
    readout: str = "z"
    init: str = "uniform"
    blocks: int = 1
    encoder_features: str = "last"
    backend: str = "auto"
    encoder: str = "minilm"
    fine_tune: bool = False
    epochs: int = 10
    batch_size: int | None = None
    learning_rate: float | None = None
    head_learning_rate: float = 5e-3
    circuit_learning_rate: float | None = None
    patience: int = 3
    seed: int = 0
    max_length: int = 128
    max_sentences: int | None = None
    tensorboard: bool = False
    cache_dir: str | None = None

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
            self.learning_rate = 5e-5 if self.fine_tune else 5e-3
        for name in ("learning_rate", "head_learning_rate", "circuit_learning_rate"):
            value = getattr(self, name)
            if name == "circuit_learning_rate" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ConfigurationError(f"{name} must be a finite number > 0; got {value}.")
        check_int("seed", self.seed, minimum=0)
        from sims.ner.conll import check_encoding

        self.data_encoding = check_encoding(self.data_encoding)
        self.design()  # validates the head options
        check_choice("encoder features", self.encoder_features, ENCODER_FEATURES)
        if self.fine_tune and self.encoder_features != "last":
            raise ConfigurationError(f"encoder_features {self.encoder_features!r} is for a frozen encoder; "
                                     "with --fine-tune the head reads the last layer.")
        if self.entangler is not None:
            from qcircuits.builder import check_entangler

            check_entangler(self.entangler)
        if head.uses_circuit and self.backend not in TRAINING_BACKENDS:
            raise ConfigurationError(f"Training needs gradients; backend {self.backend!r} gives none. "
                                     f"Expected one of {', '.join(TRAINING_BACKENDS)}.")

    def head_type(self) -> Head:
        """The registered kind of ``head``."""
        return get_head(self.head)

    def ansatz_options(self) -> dict[str, Any]:
        options = {"depth": self.depth, "encoding": self.encoding, "reupload": self.reupload}
        if self.entanglement:
            options["entanglement"] = self.entanglement
        if self.entangler:
            options["entangler"] = self.entangler
        return options

    def design(self) -> HeadDesign:
        """The head's shape options (shared by the quantum head and its classical twin)."""
        return HeadDesign(scaling=self.scaling, trainable_scaling=self.trainable_scaling, readout=self.readout,
                          init=self.init, blocks=self.blocks)

    def circuit_rate(self) -> float:
        """The circuits' learning rate: as asked, else the head's (fine-tune) or the model's (frozen)."""
        if self.circuit_learning_rate is not None:
            return self.circuit_learning_rate
        return self.head_learning_rate if self.fine_tune else self.learning_rate

    def default_run_dir(self) -> Path:
        data = Path(self.data_dir).name if self.data_dir else "demo"
        name = f"ner-{data}-{self.head}" + self.head_type().run_name(self)
        return Path("runs") / (name + self.design_tag() + ("-finetuned" if self.fine_tune else ""))

    def design_tag(self) -> str:
        """The head options that differ from the defaults, for folder names and labels (``-tanh-zz``)."""
        parts = []
        head = self.head_type()
        if head.uses_design:
            defaults = HeadDesign()
            design = self.design()
            # The twin's units are tanh either way: its scaling shows only when it adds layer normalisation.
            shown = design.scaling != defaults.scaling and (head.uses_circuit or design.scaling == "layernorm")
            parts += [design.scaling] if shown else []
            parts += [design.readout] if design.readout != defaults.readout else []
            parts += ["scaled"] if design.trainable_scaling else []
            parts += [f"b{design.blocks}"] if design.blocks > 1 else []
        if head.uses_circuit:
            parts += [f"init-{self.init}"] if self.init != "uniform" else []
            parts += [self.entangler] if self.entangler else []
            parts += [self.encoding] if self.encoding != "angle_y" else []
            parts += [f"ent-{self.entanglement}"] if self.entanglement else []
            parts += ["reupload"] if self.reupload else []
            parts += [f"clr{self.circuit_learning_rate:g}"] if self.circuit_learning_rate else []
        parts += [self.encoder_features] if self.encoder_features != "last" else []
        return "".join("-" + p for p in parts)


def options_from_config(run: RunDir, config: dict[str, Any]) -> NerOptions:
    """The run's options from its config.json.

    Raises:
        RunDirError: if the saved options are not those of a NER run.
    """
    fields = {f.name for f in dataclasses.fields(NerOptions)}
    unknown = sorted(set(config["options"]) - fields)
    if unknown:
        raise RunDirError(f"{str(run.config_path)!r} has options this version does not know: {', '.join(unknown)}.")
    try:
        return NerOptions(**config["options"])
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
