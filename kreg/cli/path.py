"""``kreg tune`` (the default): kreg's cross-validated λ paths for tables.

``kreg.tuning.tabular_path`` fits, for each of its default model families
(the linear model with the lasso and elastic nets, nets whose inputs switch
off, a wider net), the λ path with warm starts, cross-validated with
``--cv`` folds (stratified for classification), as ``cv.glmnet``. The family
are then averaged with weights from greedy ensemble selection on their
out-of-fold predictions (``--combine blend``, the default), or one is chosen
by the one-standard-error rule across families (``--combine select``). Each fitted
strength is saved in ``path/`` at once, so an interrupted run resumes with at
most one strength fitted again. The preprocessing is fitted on all the rows
given (as glmnet standardizes before its folds); each path's final fit uses
every one of those rows too. Each strength becomes one row of
``trials.csv``; the saved models are the blend (or the chosen family) at
each family's min and 1se strengths.
"""

import math

import numpy as np

from kreg import tuning
from kreg.cli import store, trials
from kreg.cli.evaluation import held_out_scores, save_model
from kreg.cli.progress import PathProgress
from kreg.cli.run import Run, result_entry
from kreg.cli.search import PATIENCE, write_trials
from kreg.cli.sparsity import layer_sparsity, selected_inputs
from kreg.data import output_names
from kreg.tuning import cross_validation
from kreg.tuning.tabular_path import label

#: Where the finished strengths of every path are kept.
PATH_DIR = "path"


def run_path(run: Run) -> None:
    """Fits the paths; writes ``trials.csv``; puts the ``min``/``1se`` models
    and a summary of the families in ``run``."""
    settings, table, train = run.settings, run.table, run.train
    prepared = run.prepared()
    # The folds are drawn on the class labels (the network's 0/1 target is
    # floats): stratified, as a search's.
    folds = cross_validation.fixed_splits(
        table.y[train],
        settings.cv,
        stratify=table.task == "classification",
        seed=settings.seed,
        owner="kreg tune",
    )
    candidates = tuning.default_candidates()
    progress = run.progress = PathProgress(
        [label(c) for c in candidates],
        settings.trials,
        settings.cv,
        "CV " + run.metric,
        run.stream,
    )
    progress.note(
        f"fitting {len(candidates)} cross-validated λ paths of {settings.trials} "
        f"strengths ({settings.cv} folds + a fit on all {len(train)} rows each): "
        + ", ".join(label(c) for c in candidates)
    )
    found = tuning.tabular_path(
        prepared.x,
        prepared.y,
        **run.hypermodel.shape,
        candidates=candidates,
        cv=folds,
        n_strengths=settings.trials,
        epochs=settings.epochs,
        patience=PATIENCE,
        seed=settings.seed,
        checkpoint=run.file(PATH_DIR),
        on_strength=progress.strength_done,
        on_path=progress.path_done,
        combine=settings.combine,
    )
    progress.chosen(found)
    records = [
        _record(candidate, path, index)
        for candidate, path in zip(found.candidates, found.paths)
        for index in range(len(path.strengths))
    ]
    write_trials(run.out, records)
    found.path.plot(
        run.file(store.PLOTS_DIR, "path.png"),
        title=f"λ path of {found.label} (chosen)",
    )
    names = output_names(prepared.fitted)
    for rule in ("min", "1se"):
        # The record (CV score, settings) of the heaviest family at this rule.
        main = found.heaviest(rule)
        path = found.paths[main]
        record = _record(found.candidates[main], path, path.best(rule))
        described = found.description(rule)
        if (
            rule == "1se"
            and run.models["min"]["trial_id"] == record["trial_id"]
            and run.models["min"]["family"] == described
        ):
            run.models[rule] = {**run.models["min"], "rule": rule}
            continue
        ensembled = settings.ensemble and found.ensembled
        model = found.best_model(rule, ensemble=None if settings.ensemble else False)
        saved = _saved(found, rule, ensembled, settings.cv, len(train))
        run.models[rule] = result_entry(
            rule,
            record,
            test=held_out_scores(
                table, model, prepared.x_test, run.test, prepared.scale
            ),
            # Per layer: the (heaviest) family's all-rows fit's; the
            # inputs: any member's.
            sparsity=layer_sparsity(found.family_model(main, rule, ensemble=False)),
            family=described,
            units=found.candidates[main][0],
            fitted_rows=len(train),
            selected_inputs=selected_inputs(model, names),
            ensemble=ensembled,
            saved=saved,
        )
        save_model(
            model, prepared.scale, prepared.fitted, run.file(f"model_{rule}.keras")
        )
    progress.note(
        f"saving the {settings.rule} strength of {found.description(settings.rule)}: "
        + run.models[settings.rule]["saved"]
    )
    run.summary = {
        "families": [
            _family(
                number,
                candidate,
                path,
                number == found.chosen,
                found.weights.get(settings.rule, {number: None})[number],
            )
            for number, (candidate, path) in enumerate(
                zip(found.candidates, found.paths)
            )
        ],
        "chosen_family": found.description(settings.rule),
        "combine": found.combine,
    }


def _saved(found, rule: str, ensembled: bool, cv: int, rows: int) -> str:
    """What the saved model is, in words, for the report."""
    members = found.members(rule)
    seeds = {found.paths[i].seeds for i in members if found.candidates[i][0] > 0}
    if seeds == {1} or not seeds:
        net = f"an average of {cv} fold models and the all-rows model"
    elif len(seeds) == 1:
        (count,) = seeds
        net = (
            f"an average of {cv * count} fold models ({cv} folds x {count} "
            "seeds) and the all-rows model"
        )
    else:  # nets of the blend with different seeds
        net = (
            f"an average of its fold models ({cv} folds x its seeds) and the "
            "all-rows model"
        )
    single = f"the model fitted on all {rows} rows"
    if len(members) == 1:
        return net if ensembled else single
    kinds = {found.candidates[i][0] > 0 for i in members}
    each = [f"each net {net if ensembled else single}"] if True in kinds else []
    each += [f"each GLM {single}"] if False in kinds else []
    return f"a weighted average of {len(members)} families' models ({'; '.join(each)})"


def _record(candidate, path, index: int) -> dict:
    """The ``trials.csv`` row of one strength of one family's path."""
    kind, ratio = _kind(candidate[1])
    strength = path.strengths[index]
    values = {
        "regularizer_on": True,
        "regularizer_kind": kind,
        "regularizer_strength": float(strength),
        "dropout_rate": float(candidate[2].get("dropout", 0.0))
        if len(candidate) == 3
        else 0.0,
    }
    if ratio is not None:
        values["regularizer_l1_ratio"] = ratio
    result = {
        "score": float(path.val_data_loss[index]),
        "score_se": float(path.val_standard_error[index]),
        "epochs": int(path.epochs[index]),
        # The 1se rule's "most regularized" is the largest λ.
        "level": math.log(float(strength)),
        "fold_scores": [float(s) for s in path.fold_val_data_loss[:, index]],
    }
    return trials.make_record(f"{label(candidate)}-{index:02d}", values, result)


def _family(number, candidate, path, chosen, weight) -> dict:
    index = path.best("min")
    return {
        "family": label(candidate),
        "units": candidate[0],
        "stopping": path.stopping,
        "direction": path.direction,
        "strengths": len(path.strengths),
        "min_strength": float(path.strengths[index]),
        "cv_score": float(path.val_data_loss[index]),
        "cv_se": float(path.val_standard_error[index]),
        "active_inputs": int(path.active_inputs[index]),
        "inputs": int(path.n_inputs),
        "seconds": float(np.sum(path.seconds)),
        "chosen": bool(chosen),
        # Its weight in the blend (None: --combine select).
        "weight": weight,
    }


def _kind(regularizer) -> tuple[str, float | None]:
    """The kind of a candidate's penalty (a name, or an object that says its
    own), and its ``l1_ratio`` when it has one."""
    if isinstance(regularizer, str):
        return regularizer, None
    ratio = regularizer.get_config().get("l1_ratio")
    return regularizer.kind or regularizer.label, ratio
