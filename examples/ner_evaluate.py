"""Score a saved NER run on a CoNLL file; write predictions.conll (word, gold, predicted) and evaluation.json.

    python examples/ner_evaluate.py runs/ner-demo-quantum-hardware_efficient-q8-d2 sims/ner/demo_data/test.txt
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone without installing

from sims.ner.cli import evaluate_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(evaluate_main(prog="ner_evaluate.py"))
