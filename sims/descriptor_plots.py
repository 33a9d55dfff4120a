"""Plots of circuit descriptors in the style of Sim et al. (2019), Figs. 3 and 4."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sims.plotting import pyplot, save_png


def plot_compare(rows: list[dict[str, Any]], path: Path) -> None:
    """One point per circuit and depth; circuits ordered by their shallowest expressibility."""
    plt = pyplot()
    names = list(dict.fromkeys(r["ansatz"] for r in rows))
    shallow = {n: min((r for r in rows if r["ansatz"] == n), key=lambda r: r["depth"]) for n in names}
    order = sorted(names, key=lambda n: -shallow[n]["expressibility"]["value"])
    position = {n: i for i, n in enumerate(order)}
    depths = sorted({r["depth"] for r in rows})
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(max(6, 0.5 * len(order) + 3), 7), sharex=True)
    colours = plt.cm.viridis([i / max(1, len(depths) - 1) for i in range(len(depths))])
    for depth, colour in zip(depths, colours, strict=True):
        chosen = [r for r in rows if r["depth"] == depth]
        xs = [position[r["ansatz"]] for r in chosen]
        top.errorbar(xs, [r["expressibility"]["value"] for r in chosen],
                     yerr=[r["expressibility"]["std"] for r in chosen], fmt="o", color=colour, label=f"L={depth}")
        bottom.errorbar(xs, [r["entangling_capability"]["value"] for r in chosen],
                        yerr=[r["entangling_capability"]["std"] for r in chosen], fmt="o", color=colour)
    top.set(yscale="log", ylabel="expressibility (KL to Haar)", title="lower is more expressive")
    bottom.set(ylabel="entangling capability (mean Q)", ylim=(-0.05, 1.05))
    bottom.set_xticks(range(len(order)), [n.replace("sim_", "") for n in order], rotation=45)
    bottom.set_xlabel("circuit (ordered by expressibility at the smallest depth)")
    top.legend(ncol=min(5, len(depths)), fontsize="small")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    fig.suptitle(f"{rows[0]['qubits']} qubits, {rows[0]['samples']} pairs, data encoding {rows[0]['data_encoding']}",
                 fontsize="small")
    fig.tight_layout()
    save_png(fig, path)


def plot_width_decay(rows: list[dict[str, Any]], path: Path) -> None:
    """Gradient variance against qubit count (log scale): the barren-plateau plot."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for (name, depth) in dict.fromkeys((r["ansatz"], r["depth"]) for r in rows):
        chosen = sorted((r for r in rows if r["ansatz"] == name and r["depth"] == depth), key=lambda r: r["qubits"])
        ax.errorbar([r["qubits"] for r in chosen], [r["gradient_variance"]["value"] for r in chosen],
                    yerr=[r["gradient_variance"]["std"] for r in chosen], fmt="o-", label=f"{name} L={depth}")
    ax.set(yscale="log", xlabel="qubits", ylabel="Var[d<Z0 Z1>/d theta_0]", title="gradient variance with width")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    save_png(fig, path)


DEPTH_PLOTS = {"gradient_variance": ("Var[d<Z0 Z1>/d theta_0]", "gradient variance with depth"),
               "expressibility": ("expressibility (KL to Haar; lower is more expressive)", "expressibility with depth")}


def plot_depth_decay(rows: list[dict[str, Any]], path: Path, metric: str = "gradient_variance") -> None:
    """A descriptor against depth (log scale): a colour per noise level, a line style per circuit
    and width. Under local Pauli noise the gradient variance falls exponentially with depth (Wang et
    al., Nat. Commun. 12, 6961, 2021). Values below 1e-12 are exact zeros of the circuit's structure
    (for the gradient: the cost does not depend on theta_0 there) and are left out."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    noises = list(dict.fromkeys(r.get("noise", "none") for r in rows))
    circuits = list(dict.fromkeys((r["ansatz"], r["qubits"]) for r in rows))
    colours = plt.cm.viridis([i / max(1, len(noises) - 1) for i in range(len(noises))])
    styles = ["o-", "s--", "^:", "d-."]
    for (name, qubits), style in zip(circuits, styles * len(circuits), strict=False):
        for noise, colour in zip(noises, colours, strict=True):
            chosen = sorted((r for r in rows if (r["ansatz"], r["qubits"]) == (name, qubits)
                             and r.get("noise", "none") == noise and r.get(metric)
                             and r[metric]["value"] > 1e-12), key=lambda r: r["depth"])
            if chosen:
                ax.errorbar([r["depth"] for r in chosen], [r[metric]["value"] for r in chosen],
                            yerr=[r[metric]["std"] for r in chosen], fmt=style, color=colour,
                            label=f"{name} n={qubits}, noise {noise}")
    ylabel, title = DEPTH_PLOTS[metric]
    ax.set(yscale="log", xlabel="depth (layers)", ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="x-small")
    fig.tight_layout()
    save_png(fig, path)
