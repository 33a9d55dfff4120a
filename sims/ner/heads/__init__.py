"""NER heads: what turns word vectors into the features the tag layer reads.

* :mod:`~sims.ner.heads.registry`: :class:`Head`, :func:`register_head`, :func:`get_head`
  (no TensorFlow: listing heads and checking options stay fast);
* :mod:`~sims.ner.heads.design`: :class:`HeadDesign`, the options that shape a head;
* :mod:`~sims.ner.heads.layer`: :class:`~sims.ner.heads.layer.TaggingHead`, the one Keras
  layer for every kind (imports TensorFlow);
* :mod:`~sims.ner.heads.builtin`: ``quantum``, ``bottleneck`` and ``linear``, discovered.
"""

from sims.ner.heads.design import ENCODER_FEATURES, INITS, READOUTS, SCALINGS, HeadDesign, check_choice
from sims.ner.heads.registry import (
    DEFAULT_HEAD,
    Head,
    RunOptions,
    call_plugin_head,
    get_head,
    head_names,
    head_source,
    register_head,
    unregister_head,
)

__all__ = ["DEFAULT_HEAD", "ENCODER_FEATURES", "Head", "HeadDesign", "INITS", "READOUTS", "RunOptions", "SCALINGS",
           "call_plugin_head", "check_choice", "get_head", "head_names", "head_source", "register_head",
           "unregister_head"]
