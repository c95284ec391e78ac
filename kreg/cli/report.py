"""``kreg report``: report.json, report.md and the plots, from a run folder.

Built only from what the run wrote (``run.json``, ``trials.csv``,
``final.json``, ``history_*.csv``), so it works on a finished run and on an
interrupted one (then with the trials done so far and no final models).
"""

import math
import os

import pandas as pd

from kreg._validation import invalid_argument
from kreg.cli import plots, store, trials
from kreg.cli.export import PREDICT_SNIPPET
from kreg.cli.settings import Settings

_LABELS = {"classification": "log loss", "regression": "MSE (standardized target)"}
_MODEL_NAMES = {
    "min": "best (min)",
    "1se": "best (1se)",
    "unregularized": "unregularized",
}


def score_label(task: str) -> str:
    """The name of the CV score: the validation data loss of the task."""
    return _LABELS[task]


def _fmt(value, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.{digits}f}"


def final_table(final: dict, task: str, path: bool = False) -> list[list[str]]:
    """Rows of the final table: model, settings, CV score ± se, test scores.

    With ``path`` the min and 1se scores are those of the cross-validated
    path at the chosen strength. CV columns are estimates (mean ± standard
    error over the folds); test columns, only when rows were held out, are
    scores on rows no model was fitted on.
    """
    label = score_label(task)
    cv = "CV (λ path)" if path else "CV"
    held_out = any(entry.get("test") is not None for entry in final["models"].values())
    if task == "classification":
        header = ["model", "settings", f"{cv} {label} mean ± se"]
        if not path:
            header.append("CV accuracy")
        if held_out:
            header += [f"test {label}", "test accuracy"]
    else:
        header = ["model", "settings", f"{cv} {label} mean ± se"]
        if held_out:
            header += ["test RMSE", "test R²"]
    header.append("epochs")
    rows = [header]
    for key in ("min", "1se", "unregularized"):
        entry = final["models"].get(key)
        if entry is None:
            continue
        cv = f"{_fmt(entry['cv_score'])} ± {_fmt(entry['cv_se'])}"
        test = entry.get("test") or {}
        row = [_MODEL_NAMES[key], entry["settings"], cv]
        if task == "classification":
            if not path:
                accuracy = entry.get("cv_accuracy")
                row.append(_fmt(accuracy, 3) if accuracy is not None else "–")
            if held_out:
                row += [_fmt(test.get("log_loss")), _fmt(test.get("accuracy"), 3)]
        elif held_out:
            row += [_fmt(test.get("rmse")), _fmt(test.get("r2"), 3)]
        row.append(str(entry["epochs"]))
        rows.append(row)
    return rows


def families_table(families: list[dict], label: str) -> list[list[str]]:
    """Rows of the families table: each λ path's lowest CV score."""
    rows = [
        [
            "family",
            f"lowest CV {label} mean ± se",
            "at λ",
            "inputs used",
            "fitted",
            "weight"
            if any(f.get("weight") is not None for f in families)
            else "chosen",
        ]
    ]
    for f in families:
        rows.append(
            [
                f["family"],
                f"{_fmt(f['cv_score'])} ± {_fmt(f['cv_se'])}",
                f"{f['min_strength']:.2e}",
                f"{f['active_inputs']}/{f['inputs']}",
                "to convergence"
                if f["stopping"] == "convergence"
                else "early stopping",
                _fmt(f["weight"], 2)
                if f.get("weight") is not None
                else ("yes" if f["chosen"] else ""),
            ]
        )
    return rows


def text_table(rows: list[list[str]]) -> str:
    """A plain aligned table for the terminal."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(rows: list[list[str]]) -> str:
    lines = [
        "| " + " | ".join(rows[0]) + " |",
        "|" + "|".join("---" for _ in rows[0]) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)


def check_run(folder: str) -> dict:
    """Returns the folder's ``run.json``; raises ValueError unless it is a run."""
    if not store.is_run(folder):
        raise invalid_argument(
            "kreg report", "folder", "a kreg run folder (with run.json)", folder
        )
    try:
        run = store.read_json(os.path.join(folder, store.RUN_FILE))
        if not isinstance(run, dict) or not isinstance(run.get("settings"), dict):
            raise ValueError
    except (OSError, ValueError):
        raise invalid_argument(
            "kreg report", "folder", "a run folder with a readable run.json", folder
        ) from None
    return run


def _load(folder: str):
    run = check_run(folder)
    trials_path = os.path.join(folder, store.TRIALS_FILE)
    records = trials.read_trials(trials_path) if os.path.exists(trials_path) else []
    final_path = os.path.join(folder, store.FINAL_FILE)
    final = store.read_json(final_path) if os.path.exists(final_path) else None
    if final is not None and run.get("status") != "finished":
        final = None  # left over from before a resume that has not finished
    return run, records, final


def build_report(folder: str) -> dict:
    """Writes ``report.json``, ``report.md`` and ``plots/*.png``; returns the report."""
    run, records, final = _load(folder)
    data = run.get("data", {})
    task = data.get("task", "classification")
    label = score_label(task)
    settings = run["settings"]
    path = Settings.from_dict(settings).path
    chosen = trials.choose(records)
    plots_dir = os.path.join(folder, store.PLOTS_DIR)
    os.makedirs(plots_dir, exist_ok=True)
    made = []
    if records:
        plots.score_vs_strength(
            records, chosen, label, os.path.join(plots_dir, "score_vs_strength.png")
        )
        made.append("score_vs_strength.png")
        if not path:  # a path's dropout is fixed per family
            plots.score_vs_dropout(
                records, chosen, label, os.path.join(plots_dir, "score_vs_dropout.png")
            )
            made.append("score_vs_dropout.png")
    if final is not None:
        histories = {}
        for key in ("min", "1se", "unregularized"):
            entry = final["models"].get(key)
            history = entry.get("history") if entry else None
            path = os.path.join(folder, history) if history else None
            if path and os.path.exists(path):
                histories[key] = pd.read_csv(path)
        if histories:
            watched = {
                key: entry["watched"]
                for key, entry in final["models"].items()
                if entry.get("watched")
            }
            plots.learning_curves(
                histories,
                label,
                os.path.join(plots_dir, "learning_curves.png"),
                watched,
            )
            made.append("learning_curves.png")
        plots.sparsity(
            {k: v["sparsity"] for k, v in final["models"].items()},
            os.path.join(plots_dir, "sparsity.png"),
        )
        made.append("sparsity.png")
    if os.path.exists(os.path.join(plots_dir, "path.png")):
        made.append("path.png")
    finished = final is not None
    search = Settings.from_dict(settings).search
    planned = None if search == "hyperband" else settings["trials"]
    if path:
        planned = None  # strengths × families: known once the run has finished
    report = {
        "status": "finished" if finished else "interrupted",
        "data": data,
        "settings": settings,
        "objective": (
            f"CV {label} (validation data loss, no penalty), mean over "
            f"{settings['cv']} folds"
            + (" at each λ of each family's path" if path else "")
        ),
        "trials_done": len(records),
        "strengths_saved": _saved_strengths(folder),
        "trials_planned": planned,
        "choice": {
            rule: {k: _json_value(v) for k, v in record.items()}
            for rule, record in chosen.items()
        },
        "final": final,
        "plots": [f"{store.PLOTS_DIR}/{name}" for name in made],
        "seconds": run.get("seconds"),
    }
    store.write_json(os.path.join(folder, "report.json"), report)
    store.write_text(os.path.join(folder, "report.md"), _markdown(report, records))
    return report


def _output(data: dict) -> str:
    """What the saved model outputs, for the comment of the snippet."""
    if data.get("task") == "regression":
        return f"{data.get('target')}, in its units"
    classes = data.get("classes") or []
    if len(classes) == 2:
        return f"probability of {classes[1]!r}"
    return f"probabilities of {', '.join(repr(c) for c in classes)}"


def _saved_strengths(folder: str) -> int:
    """Strengths of the λ paths saved in the run folder (fits of folds and
    final fits counted apart)."""
    count = 0
    for _, _, files in os.walk(os.path.join(folder, "path")):
        count += sum(name.startswith("strength_") for name in files)
    return count


def _json_value(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _markdown(report: dict, records: list[dict]) -> str:
    data = report["data"]
    settings = report["settings"]
    path = Settings.from_dict(settings).path
    task = data.get("task", "classification")
    label = score_label(task)
    lines = [f"# kreg tune: {data.get('name', 'data')}", ""]
    final = report["final"]
    if report["status"] != "finished":
        planned = report["trials_planned"]
        done = (
            f"{report.get('strengths_saved', 0)} fitted strengths of the λ paths saved"
            if path
            else f"{report['trials_done']}"
            + (f" of {planned}" if planned else "")
            + " trials done"
        )
        lines += [
            f"**Interrupted**: {done} and no final model yet. Run the same "
            "`kreg tune` command with `--out` this folder to resume.",
            "",
        ]
    test_rows = data.get("test_rows") or 0
    rows = (
        f"- data: {data.get('rows')} rows ({data.get('train_rows')} for "
        f"{settings['cv']}-fold cross-validation and the final fit, {test_rows} "
        "held out for testing)"
        if test_rows
        else f"- data: {data.get('rows')} rows, all used for {settings['cv']}-fold "
        "cross-validation and then for the final fit (none held out)"
    )
    constant = data.get("constant_columns") or []
    lines += [
        rows
        + f", target `{data.get('target')}`, task {task}"
        + (" (detected)" if data.get("task_detected") else ""),
        f"- features: {len(data.get('numeric_columns', []))} numeric (median-imputed, "
        f"standardized), {len(data.get('categorical_columns', []))} categorical "
        "(one-hot)"
        + (
            "; fitted on all the rows, as glmnet standardizes before its folds"
            if path
            else "; fitted inside each fold"
        )
        + (
            f"; left out {len(constant)} constant column(s): "
            + ", ".join(f"`{c}`" for c in constant)
            if constant
            else ""
        ),
    ]
    if path:
        families = (final or {}).get("families") or []
        how = {f["stopping"] for f in families}
        detail = []
        if "convergence" in how:
            detail.append("GLMs fitted to convergence at each strength")
        if "validation" in how:
            detail.append(
                f"nets up to {settings['epochs']} epochs per strength with early "
                "stopping on each fold's held-out rows"
            )
        lines.append(
            "- search: kreg.tuning.tabular_path, cross-validated λ paths: "
            + (
                f"{len(families)} model families × {settings['trials']} strengths "
                f"= {report['trials_done']} points, each fitted on "
                f"{settings['cv']} folds and on all rows"
                if families
                else f"{report['trials_done']} points so far"
            )
            + (f" ({'; '.join(detail)})" if detail else "")
            + f", seed {settings['seed']}"
        )
    else:
        lines.append(
            f"- search: KerasTuner {Settings.from_dict(settings).search}, "
            f"{report['trials_done']} trials, up to {settings['epochs']} epochs per "
            "fit with early stopping on the validation data loss, seed "
            f"{settings['seed']}"
        )
    lines += [f"- objective: {report['objective']}", ""]
    if final is not None:
        fitted = data.get("train_rows")
        if path:
            if settings.get("combine", "select") == "blend":
                about = (
                    "*min*: each family at the strength with the lowest mean CV "
                    "score on its path. *1se*: each family at the largest strength "
                    "within one standard error of it. The families are averaged "
                    "with the weights in the families table: greedy ensemble "
                    "selection (Caruana et al. 2004) on the out-of-fold "
                    "predictions, each row predicted by the fold model that did "
                    "not train on it; a family that does not lower their loss "
                    "gets no weight. The CV score shown for a model is its "
                    "heaviest family's. "
                )
            else:
                about = (
                    "*min*: the strength with the lowest mean CV score on the "
                    "chosen family's path. *1se*: the largest strength within one "
                    "standard error of it. The family was chosen by the "
                    "one-standard-error rule across families: the narrowest one "
                    "whose lowest CV score is within one standard error of the "
                    "lowest of all. "
                )
            about += (
                "CV scores are estimates: the mean over the folds ± its standard "
                "error (the folds' spread / √k). "
            )
            if final["models"].get("min", {}).get("ensemble"):
                about += (
                    "Each net averages its fit on all "
                    f"{fitted} rows with the models its {settings['cv']}-fold "
                    "cross-validation trained at the same strength (one per fold, "
                    "or S per fold for a family named `-seedsS`, each from its "
                    "own random initialization; their probabilities for "
                    "classification): an ensemble of what cross-validation "
                    "trained."
                )
            else:
                about += f"Both models are the path's fit on all {fitted} rows."
        else:
            about = (
                "*min*: the lowest mean CV score. *1se*: the most regularized trial "
                "within one standard error of it. *unregularized*: the same network "
                "with no penalty and no dropout, trained the same way (same early "
                "stopping). CV scores are estimates: the mean over the folds ± its "
                f"standard error. Each was refit on all {fitted} rows for its CV "
                "epoch count."
            )
        about += (
            f" Test scores are on {test_rows} held-out rows that nothing was fitted on."
            if test_rows
            else " No row was held out (use --test-size for a held-out score)."
        )
        lines += [
            "## Result",
            "",
            markdown_table(final_table(final, task, path)),
            "",
            about,
            "",
        ]
        if final.get("families"):
            lines += [
                "## Model families",
                "",
                markdown_table(families_table(final["families"], label)),
                "",
            ]
        chosen_model = final["models"].get(final["best_model"]["rule"], {})
        if chosen_model.get("selected_inputs") is not None:
            selected = chosen_model["selected_inputs"]
            lines += [
                f"Inputs the saved model uses ({len(selected)}): "
                + (", ".join(f"`{n}`" for n in selected) or "none"),
                "",
            ]
        lines += [
            "The saved model `best_model.keras` is the "
            f"*{final['best_model']['rule']}* choice"
            + (f": {chosen_model['saved']}" if chosen_model.get("saved") else "")
            + ". Its preprocessing is inside "
            "it, as Keras layers: it takes the table's columns as they are in the "
            "CSV file, and loads with plain Keras (no `import kreg`, no pickle):",
            "",
            "```python",
            PREDICT_SNIPPET.format(
                model="best_model.keras", csv="new.csv", output=_output(data)
            ).rstrip(),
            "```",
            "",
        ]
    plot_titles = {
        "score_vs_strength.png": "CV score against penalty strength",
        "score_vs_dropout.png": "CV score against dropout",
        "learning_curves.png": "Learning curves: data loss and penalty apart",
        "sparsity.png": "Sparsity per layer",
        "path.png": "The λ path: validation data loss and sparsity against λ",
    }
    if report["plots"]:
        lines += ["## Plots", ""]
        for path in report["plots"]:
            title = plot_titles[os.path.basename(path)]
            lines += [f"### {title}", "", f"![{title}]({path})", ""]
    if records:
        ranked = sorted(records, key=lambda r: r["score"])
        lines += [
            "## Trials",
            "",
            f"| trial | settings | CV {label} ± se | epochs |",
            "|---|---|---|---|",
        ]
        for r in ranked:
            lines.append(
                f"| {r['trial_id']} | {r['settings']} | {_fmt(r['score'])} ± "
                f"{_fmt(r['score_se'])} | {int(r['epochs'])} |"
            )
        lines.append("")
    return "\n".join(lines)
