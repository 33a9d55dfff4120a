"""Train and evaluate a BERT-encoded NER tagger with a quantum (or classical) head.

    python examples/ner_conll.py                                   # demo corpus, quantum head
    python examples/ner_conll.py --data-dir ../shared/data/conll2003 --ansatz sim_14 --depth 1
    python examples/ner_conll.py --data-dir DIR --head linear,bottleneck,quantum   # compare heads

Writes a run folder (config, checkpoints, best model, metrics.json, training.png).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone without installing

from sims.ner.cli import train_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(train_main(prog="ner_conll.py"))
