"""Command line: build a registered ansatz, simulate it, describe it, train with it, sweep it.

Commands, each with its own options, defaults and ``--help``::

    python -m sims.run report --ansatz strongly_entangling --qubits 6 --depth 3 --entanglement circular
    python -m sims.run list "sim_*"
    python -m sims.run report --plugin my_ansatz.py --ansatz my_ansatz --json report.json
    python -m sims.run metrics --compare "sim_*" --qubits 4 --depth 1-5
    python -m sims.run ner --data-dir DIR
    python -m sims.run evaluate RUN_DIR test.txt
    python -m sims.run predict RUN_DIR "Angela Merkel visited Paris ."
    python -m sims.run sweep examples/sweeps/descriptors.toml [--ray-address HOST:PORT]

Without a command, ``python -m sims.run --ansatz X`` is ``report``; the older mode flags
(``--list``, ``--metrics``, ``--compare``, ``--task ner``, ``--sweep``) keep working and say
which command replaces them. Every invalid input ends in one line on stderr and exit code 2.
The commands live in :mod:`sims.commands`.
"""

from __future__ import annotations

import sys

from sims.commands import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
