"""``import plugins`` is :mod:`qcircuits.plugins`, the ansatz registry, under its short name.

This package only makes the short name give the canonical module objects
(``plugins.registry is qcircuits.plugins.registry``; ``plugins.builtin.x`` too, imported
when first asked for), so registrations, monkeypatches and ``isinstance`` checks agree
whichever name a user imports.
"""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types

import qcircuits.plugins as _canonical

_CANONICAL = _canonical.__name__


class _AliasLoader(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``plugins.X`` as the module ``qcircuits.plugins.X`` (the same object, not a copy)."""

    def find_spec(self, fullname: str, path: object = None,
                  target: object = None) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(__name__ + "."):
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return importlib.import_module(_CANONICAL + spec.name[len(__name__):])

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the canonical module ran when it was imported."""


if not any(isinstance(finder, _AliasLoader) for finder in sys.meta_path):
    sys.meta_path.insert(0, _AliasLoader())
sys.modules[__name__] = _canonical  # `import plugins` returns the canonical package
