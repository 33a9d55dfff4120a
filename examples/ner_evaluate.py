"""Score a saved NER run on a CoNLL file; write predictions.conll (word, gold, predicted) and evaluation.json.

    python examples/ner_evaluate.py runs/ner-demo-quantum-hardware_efficient-q8-d2 sims/ner/demo_data/test.txt

The same as ``python -m sims.run evaluate ...`` (installed by ``make install``).
"""

import sys

from sims.commands import script_main

if __name__ == "__main__":
    sys.exit(script_main("evaluate", prog="ner_evaluate.py"))
