"""The built-in NER heads, each one :class:`~sims.ner.head_registry.Head` in its own module.

Importing this package registers them, the default first (the order of ``--help``).
"""

import importlib

for _module in ("quantum", "bottleneck", "linear"):
    importlib.import_module(f"{__name__}.{_module}")
