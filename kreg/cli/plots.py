"""The PNG plots of a run (matplotlib, no pyplot: safe in any backend)."""

import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from kreg.cli import store

_COLORS = {
    "none": "tab:gray",
    "l1": "tab:blue",
    "l2": "tab:orange",
    "elastic_net": "tab:purple",
    "group_lasso": "tab:green",
    "sparse_group_lasso": "tab:olive",
}


def _save(figure: Figure, path: str) -> None:
    FigureCanvasAgg(figure)
    figure.tight_layout()
    with store.atomic_path(path, suffix=".png") as temporary:
        figure.savefig(temporary, dpi=110, format="png")


def _mark_chosen(axis, chosen, xs_of):
    styles = {"min": ("*", "red", "min"), "1se": ("s", "green", "1se")}
    for rule, record in chosen.items():
        marker, color, label = styles[rule]
        x = xs_of(record)
        if x is None:
            continue
        axis.plot(
            [x],
            [record["score"]],
            marker,
            color=color,
            markersize=14,
            markerfacecolor="none",
            markeredgewidth=2,
            label=label,
            zorder=5,
        )


def score_vs_strength(records, chosen, label: str, path: str) -> None:
    """CV score ± se against the penalty strength, by kind; "none" at the left."""
    figure = Figure(figsize=(6.4, 4.2))
    axis = figure.add_subplot()
    strengths = [r["strength"] for r in records if math.isfinite(r["strength"])]
    low = min(strengths) if strengths else 1e-4
    none_x = 10 ** (math.floor(math.log10(low)) - 1)

    def x_of(record):
        s = record["strength"]
        return s if math.isfinite(s) else none_x

    kinds = sorted({r["regularizer"] for r in records})
    for kind in kinds:
        group = [r for r in records if r["regularizer"] == kind]
        axis.errorbar(
            [x_of(r) for r in group],
            [r["score"] for r in group],
            yerr=[r["score_se"] for r in group],
            fmt="o",
            capsize=3,
            color=_COLORS.get(kind, "black"),
            label="no penalty" if kind == "none" else kind,
        )
    _mark_chosen(axis, chosen, x_of)
    axis.set_xscale("log")
    ticks = [t for t in axis.get_xticks() if t > none_x * 3]
    axis.set_xticks([none_x, *ticks], ["none", *[f"{t:.0e}" for t in ticks]])
    axis.set_xlim(none_x / 3, max([*strengths, low]) * 3)
    axis.set_xlabel("penalty strength λ (log scale)")
    axis.set_ylabel(f"CV {label} (mean ± se)")
    axis.set_title("Cross-validated score against strength")
    axis.legend(fontsize=8)
    _save(figure, path)


def score_vs_dropout(records, chosen, label: str, path: str) -> None:
    """CV score ± se against the dropout rate, colored by penalty kind."""
    figure = Figure(figsize=(6.4, 4.2))
    axis = figure.add_subplot()
    for kind in sorted({r["regularizer"] for r in records}):
        group = [r for r in records if r["regularizer"] == kind]
        axis.errorbar(
            [r["dropout"] for r in group],
            [r["score"] for r in group],
            yerr=[r["score_se"] for r in group],
            fmt="o",
            capsize=3,
            color=_COLORS.get(kind, "black"),
            label="no penalty" if kind == "none" else kind,
        )
    _mark_chosen(axis, chosen, lambda r: r["dropout"])
    axis.set_xlabel("dropout rate")
    axis.set_ylabel(f"CV {label} (mean ± se)")
    axis.set_title("Cross-validated score against dropout")
    axis.legend(fontsize=8)
    _save(figure, path)


def learning_curves(
    histories: dict, label: str, path: str, watched: dict | None = None
) -> None:
    """Per model: data loss (train, and the rows watched) and the penalty apart.

    ``watched`` names, per model, the rows of its ``val_data_loss`` column
    (default: the test rows, watched only).
    """
    watched = watched or {}
    figure = Figure(figsize=(9.6, 3.8))
    loss_axis = figure.add_subplot(1, 2, 1)
    penalty_axis = figure.add_subplot(1, 2, 2)
    colors = {"min": "tab:red", "1se": "tab:green", "unregularized": "tab:gray"}
    for name, frame in histories.items():
        color = colors.get(name, "black")
        loss_axis.plot(
            frame["epoch"], frame["data_loss"], "-", color=color, label=f"{name}: train"
        )
        if "val_data_loss" in frame:
            loss_axis.plot(
                frame["epoch"],
                frame["val_data_loss"],
                "--",
                color=color,
                label=f"{name}: {watched.get(name, 'test (watched only)')}",
            )
        penalty_axis.plot(
            frame["epoch"], frame["penalty"], "-", color=color, label=name
        )
    loss_axis.set_xlabel("epoch")
    loss_axis.set_ylabel(f"data loss ({label})")
    loss_axis.set_title("Data loss (no penalty)")
    loss_axis.legend(fontsize=7)
    penalty_axis.set_xlabel("epoch")
    penalty_axis.set_ylabel("penalty added to the loss")
    penalty_axis.set_title("Penalty")
    penalty_axis.legend(fontsize=7)
    _save(figure, path)


def sparsity(models: dict, path: str) -> None:
    """Per layer and model: the fraction of exactly-zero and near-zero weights."""
    figure = Figure(figsize=(9.6, 3.8))
    names = list(models)
    layers = [row["layer"] for row in models[names[0]]]
    positions = np.arange(len(layers))
    width = 0.8 / max(len(names), 1)
    for index, (key, title) in enumerate(
        (("zero_fraction", "Exactly zero"), ("near_zero_fraction", "|w| ≤ 1e-3"))
    ):
        axis = figure.add_subplot(1, 2, index + 1)
        for offset, name in enumerate(names):
            values = [row[key] for row in models[name]]
            axis.bar(positions + offset * width, values, width, label=name)
        axis.set_xticks(positions + width * (len(names) - 1) / 2, layers)
        axis.set_ylim(0, 1)
        axis.set_ylabel("fraction of the layer's kernel")
        axis.set_title(f"{title} weights per layer")
        axis.legend(fontsize=7)
    _save(figure, path)
