"""Named-entity recognition with a BERT encoder and a quantum (or classical) head.

One module per concept:

* data: :mod:`conll` (CoNLL files, sentences, tags), :mod:`corpus` (the splits of a run);
* features: :mod:`encoder` (loads a TF BERT), :mod:`alignment` (words to sub-tokens),
  :mod:`features` (word vectors, cached);
* heads: :mod:`heads` (registry, design, the Keras layer, the built-in kinds);
* options: :mod:`options` (:class:`~sims.ner.options.NerOptions`), :mod:`defaults` (the
  measured defaults and ``auto`` values);
* tagger: :mod:`tagger` (encoder + head, the Keras models that train it);
* training: :mod:`trainer` (:class:`~sims.ner.trainer.NerTrainer`), :mod:`callbacks`;
* run folder and its state: :mod:`rundir`, :mod:`state`;
* evaluation: :mod:`evaluation` (seqeval scores, evaluating and tagging files);
* comparisons: :mod:`comparison` (heads x ansatze x seeds as a sweep); plots: :mod:`plots`.

The command lines are :mod:`sims.commands.ner`.
"""
