"""Gradient variance against depth at several noise levels, from ``metrics`` JSON files (docs/noise.md).

    python scripts/plot_noise_gradients.py OUT.png runs/nibp/p0/*.json runs/nibp/p0.01/*.json ...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sims.descriptor_plots import plot_depth_decay  # noqa: E402


def main() -> None:
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    rows = [row for path in sys.argv[2:] for row in json.loads(Path(path).read_text())["rows"]]
    plot_depth_decay(rows, Path(sys.argv[1]))
    print(f"{len(rows)} rows; written {sys.argv[1]}")


if __name__ == "__main__":
    main()
