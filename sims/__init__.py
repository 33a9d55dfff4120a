"""Execution: simulator backends, Keras layers over TFQ, the NER pipeline and the CLI.

This is the only package that imports qsimcirq, TensorFlow, TFQ or
transformers, and it imports them lazily: ``python -m sims.run list`` does
not pay TensorFlow's start-up.
"""
