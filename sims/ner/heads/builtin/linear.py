"""The ``linear`` head: one linear layer from the word vector to the tags."""

from sims.ner.heads.registry import Head, register_head


@register_head
class LinearHead(Head):
    """The word vectors go straight to the tag layer (the layer adds it)."""

    name = "linear"
    description = "one linear layer to the tags"
    uses_design = False
