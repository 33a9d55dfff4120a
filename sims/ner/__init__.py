"""Named-entity recognition with a BERT encoder and a quantum (or classical) head.

Modules: :mod:`conll` reads CoNLL files, :mod:`encoder` loads a TF BERT,
:mod:`alignment` maps words to sub-tokens, :mod:`heads` builds the tagging
heads, :mod:`training` runs Keras ``fit`` with checkpoints, :mod:`metrics`
scores with seqeval, :mod:`rundir` saves and loads runs.
"""
