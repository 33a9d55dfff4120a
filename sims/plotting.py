"""Matplotlib without a display, and PNGs written atomically."""

from __future__ import annotations

from pathlib import Path

from sims.atomic import atomic_path


def pyplot():
    """``matplotlib.pyplot`` on the non-interactive Agg backend (works headless)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_png(fig, path: str | Path, *, dpi: int = 110) -> None:
    """Saves ``fig`` as a PNG atomically and closes it."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    pyplot().close(fig)


def finish_axes_and_save(fig, ax, path: str | Path, *, legend_size: str = "small") -> None:
    """A light grid and a legend on ``ax``, a tight layout, then :func:`save_png`."""
    ax.grid(alpha=0.3)
    ax.legend(fontsize=legend_size)
    fig.tight_layout()
    save_png(fig, path)
