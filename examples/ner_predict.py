"""Print the entities a saved NER run finds in text.

    python examples/ner_predict.py runs/ner-demo-quantum-hardware_efficient-q8-d2 "Angela Merkel visited Paris ."

The same as ``python -m sims.run predict ...`` (installed by ``make install``).
"""

import sys

from sims.commands import script_main

if __name__ == "__main__":
    sys.exit(script_main("predict", prog="ner_predict.py"))
