"""Train and evaluate a BERT-encoded NER tagger with a quantum (or classical) head.

    python examples/ner_conll.py                                   # demo corpus, quantum head
    python examples/ner_conll.py --data-dir ../shared/data/conll2003 --ansatz sim_14 --depth 1
    python examples/ner_conll.py --data-dir DIR --head linear,bottleneck,quantum   # compare heads

Writes a run folder (config, checkpoints, best model, metrics.json, training.png).

The same as ``python -m sims.run ner ...`` (installed by ``make install``).
"""

import sys

from sims.commands import script_main

if __name__ == "__main__":
    sys.exit(script_main("ner", prog="ner_conll.py"))
