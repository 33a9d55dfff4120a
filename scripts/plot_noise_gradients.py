"""A descriptor against depth at several noise levels, from ``metrics`` JSON files (docs/noise.md).

    python scripts/plot_noise_gradients.py OUT.png runs/nibp/p0/*.json runs/nibp/p0.01/*.json ...
    python scripts/plot_noise_gradients.py --metric expressibility OUT.png runs/noise_descriptors/p*/*.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sims.descriptor_plots import DEPTH_PLOTS, plot_depth_decay  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--metric", choices=sorted(DEPTH_PLOTS), default="gradient_variance")
    parser.add_argument("out", type=Path)
    parser.add_argument("tables", nargs="+", type=Path)
    args = parser.parse_args()
    rows = [row for path in args.tables for row in json.loads(path.read_text())["rows"]]
    plot_depth_decay(rows, args.out, metric=args.metric)
    print(f"{len(rows)} rows; written {args.out}")


if __name__ == "__main__":
    main()
