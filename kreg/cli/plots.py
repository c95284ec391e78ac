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


def _legend_outside(axis) -> None:
    """The legend right of the axes, never over the data."""
    axis.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))


def _spread(records, x_of, step: float, log: bool) -> dict:
    """x of each record, with records at the same x (and score) set side by side.

    Trials of equal settings (all the "no penalty" ones, or one dropout rate)
    would sit on top of each other; each gets its own slot around its x, in
    steps of ``step`` (a factor on a log axis).
    """
    slots: dict = {}
    for record in records:
        x = x_of(record)
        slots.setdefault(x, []).append(id(record))
    out = {}
    for x, ids in slots.items():
        for index, key in enumerate(ids):
            shift = index - (len(ids) - 1) / 2
            out[key] = x * step**shift if log else x + step * shift
    return out


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

    spread = _spread(records, x_of, step=1.25, log=True)
    _scores_by_kind(axis, records, spread)
    _mark_chosen(axis, chosen, lambda r: _chosen_x(r, records, spread, x_of))
    axis.set_xscale("log")
    ticks = [t for t in axis.get_xticks() if t > none_x * 3]
    axis.set_xticks([none_x, *ticks], ["none", *[f"{t:.0e}" for t in ticks]])
    axis.set_xlim(none_x / 3, max([*strengths, low]) * 3)
    axis.set_xlabel("penalty strength λ (log scale; trials of equal λ side by side)")
    axis.set_ylabel(f"CV {label}, mean ± standard error")
    axis.set_title("Cross-validated score against strength")
    _legend_outside(axis)
    _save(figure, path)


def _scores_by_kind(axis, records, spread) -> None:
    """Each trial's CV score ± se at its spread x, one color per penalty kind."""
    for kind in sorted({r["regularizer"] for r in records}):
        group = [r for r in records if r["regularizer"] == kind]
        axis.errorbar(
            [spread[id(r)] for r in group],
            [r["score"] for r in group],
            yerr=[r["score_se"] for r in group],
            fmt="o",
            capsize=3,
            color=_COLORS.get(kind, "black"),
            label="no penalty" if kind == "none" else kind,
        )


def _chosen_x(record, records, spread, x_of):
    """Where a chosen trial was drawn (it may be a copy of a record)."""
    for candidate in records:
        if candidate is record or candidate == record:
            return spread[id(candidate)]
    return x_of(record)


def score_vs_dropout(records, chosen, label: str, path: str) -> None:
    """CV score ± se against the dropout rate, colored by penalty kind."""
    figure = Figure(figsize=(7.4, 4.2))
    axis = figure.add_subplot()
    spread = _spread(records, lambda r: r["dropout"], step=0.012, log=False)
    _scores_by_kind(axis, records, spread)
    _mark_chosen(
        axis, chosen, lambda r: _chosen_x(r, records, spread, lambda q: q["dropout"])
    )
    axis.set_xlabel(
        "dropout rate (fraction of units dropped; equal rates side by side)"
    )
    axis.set_ylabel(f"CV {label}, mean ± standard error")
    axis.set_title("Cross-validated score against dropout")
    _legend_outside(axis)
    _save(figure, path)


#: The dashed curve of a refit that has no validation rows of its own.
_TEST_ROWS = "held-out test rows (seen, not fitted)"


def learning_curves(
    histories: dict, label: str, path: str, watched: dict | None = None
) -> None:
    """Per model: data loss (train, and the rows watched) and the penalty apart.

    ``watched`` names, per model, the rows of its ``val_data_loss`` column
    (default: the held-out test rows, which no fit uses).
    """
    watched = watched or {}
    figure = Figure(figsize=(11.0, 4.0))
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
                label=f"{name}: {watched.get(name, _TEST_ROWS)}",
            )
        penalty_axis.plot(
            frame["epoch"], frame["penalty"], "-", color=color, label=name
        )
    loss_axis.set_xlabel("epoch")
    loss_axis.set_ylabel(f"data loss: {label}, without the penalty")
    loss_axis.set_title("Data loss")
    loss_axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    penalty_axis.set_xlabel("epoch")
    penalty_axis.set_ylabel("penalty added to the loss (loss units)")
    penalty_axis.set_title("Penalty")
    penalty_axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    _save(figure, path)


def sparsity(models: dict, path: str) -> None:
    """Per layer and model: the fraction of exactly-zero and near-zero weights.

    The y scale follows the data (small fractions stay visible), and a panel
    with nothing to show says so in words.
    """
    figure = Figure(figsize=(11.0, 3.8))
    names = list(models)
    layers = [row["layer"] for row in models[names[0]]]
    positions = np.arange(len(layers))
    width = 0.8 / max(len(names), 1)
    panels = (
        (
            "zero_fraction",
            "Exactly zero weights",
            "no weight is exactly zero, in any model",
        ),
        (
            "near_zero_fraction",
            "Weights with |w| ≤ 1e-3",
            "no weight is within 1e-3 of 0, in any model",
        ),
    )
    for index, (key, title, empty) in enumerate(panels):
        axis = figure.add_subplot(1, 2, index + 1)
        axis.set_title(title)
        highest = max(row[key] for name in names for row in models[name])
        if highest <= 0:
            axis.text(
                0.5, 0.5, empty, ha="center", va="center", transform=axis.transAxes
            )
            axis.set_xticks([])
            axis.set_yticks([])
            continue
        for offset, name in enumerate(names):
            values = [row[key] for row in models[name]]
            axis.bar(positions + offset * width, values, width, label=name)
        axis.set_xticks(positions + width * (len(names) - 1) / 2, layers)
        axis.set_xlabel("layer")
        axis.set_ylim(0, min(1.0, highest * 1.15))
        axis.set_ylabel("fraction of the layer's kernel")
        axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    _save(figure, path)
