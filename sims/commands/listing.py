"""``list``: the registered ansatze, plugins included."""

from __future__ import annotations

import argparse
import sys

from qcircuits.errors import ConfigurationError
from sims.commands import common

HELP = "List the registered ansatze (plugins included)."


def parents() -> list[argparse.ArgumentParser]:
    return [common.plugin_options()]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pattern", nargs="?", default="*", help="wildcard pattern, e.g. 'sim_*' (default: all)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    from qcircuits import plugins

    plugins.load_plugins(args.plugin)
    rows = plugins.REGISTRY.describe(args.pattern)
    if not rows:  # as `metrics --compare PATTERN`: a pattern that matches nothing is an error
        raise ConfigurationError(f"No registered ansatz matches {args.pattern!r}; `python -m sims.run list` shows "
                                 "them all.")
    width = max((len(name) for name, _, _ in rows), default=4)
    for name, description, source in rows:
        print(f"{name:<{width}}  {description}  [{source}]")
    for name, reason in plugins.REGISTRY.failures.items():
        if name not in {r[0] for r in rows}:
            print(f"{name:<{width}}  (not loaded) {reason}", file=sys.stderr)
