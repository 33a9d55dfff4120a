"""Print the entities a saved NER run finds in text.

    python examples/ner_predict.py runs/ner-demo-quantum-hardware_efficient-q8-d2 "Angela Merkel visited Paris ."
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone without installing

from sims.ner.cli import predict_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(predict_main(prog="ner_predict.py"))
