"""The saved model: raw CSV columns in, no pickle, no kreg class, loads alone."""

import json
import os
import pathlib
import re
import subprocess
import sys
import textwrap
import zipfile

import keras
import numpy as np
import pandas as pd

from kreg import optimizers, regularizers, tuning
from kreg.cli.evaluation import save_model
from kreg.cli.export import PREDICT_SNIPPET
from kreg.cli.hypermodel import TabularHyperModel
from kreg.data import load_table


def _fitted_model(csv, target, tmp_path, name):
    """A tiny trained net, its in-process predictions on every row, saved."""
    table = load_table(csv, target)
    n_classes = len(table.classes) if table.classes else None
    hypermodel = TabularHyperModel(
        table.features,
        table.y,
        table.task,
        n_classes,
        numeric=table.numeric_columns,
        categorical=table.categorical_columns,
    )
    rows = np.arange(len(table))
    fitted, scale, [(x, y)] = hypermodel.prepare(rows[: len(rows) // 2])
    _, _, [(x_all, _)] = hypermodel.prepare(rows[: len(rows) // 2])
    x_all = fitted.transform(table.features).astype("float32")
    keras.utils.set_random_seed(0)
    model = hypermodel.network(regularizers.L1(0.01), 0.2)
    assert isinstance(model.optimizer, optimizers.Proximal)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    expected = np.asarray(model(x_all, training=False))
    if scale is not None:
        expected = expected * scale[1] + scale[0]
    path = tmp_path / f"{name}.keras"
    save_model(model, scale, fitted, str(path))
    return path, expected


def _fitted_ensemble(csv, target, tmp_path, name):
    """What ``kreg tune`` saves for a net family: the mean of its fold models
    and its all-rows fit (models inside the model), saved."""
    table = load_table(csv, target)
    hypermodel = TabularHyperModel(
        table.features,
        table.y,
        table.task,
        len(table.classes),
        numeric=table.numeric_columns,
        categorical=table.categorical_columns,
    )
    fitted, scale, [(x, y)] = hypermodel.prepare(np.arange(len(table)))
    found = tuning.tabular_path(
        x,
        y,
        **hypermodel.shape,
        candidates=[(4, "group_lasso", {"select_inputs": True, "dropout": 0.2})],
        cv=2,
        n_strengths=1,
        epochs=1,
    )
    model = found.best_model()
    assert model.name == "ensemble" and len(model.layers) == 5  # input, 3, mean
    expected = np.asarray(model(x, training=False))
    path = tmp_path / f"{name}.keras"
    save_model(model, scale, fitted, str(path))
    return path, expected


def test_saved_models_predict_from_raw_csv_rows_without_kreg(
    tmp_path, sales_csv, churn_csv
):
    cases = {
        "sales": (sales_csv, "revenue"),  # NaN in numbers and text, booleans
        "churn": (churn_csv, "status"),  # three classes
        "ensemble": (churn_csv, "status"),  # a net family's saved ensemble
    }
    expected = {}
    for name, (csv, target) in cases.items():
        fit = _fitted_ensemble if name == "ensemble" else _fitted_model
        path, expected[name] = fit(csv, target, tmp_path, name)
        with zipfile.ZipFile(path) as archive:
            assert sorted(archive.namelist()) == [
                "config.json",
                "metadata.json",
                "model.weights.h5",
            ]
            config = archive.read("config.json").decode()
        # No kreg class (no penalty, no Proximal), no compile: plain Keras.
        assert '"module": "kreg' not in config and "kreg>" not in config
        assert not json.loads(config).get("compile_config")
    # A fresh Python where importing kreg fails: the documented snippet, as is.
    script = "import sys\nsys.modules['kreg'] = None  # no kreg here\n"
    for name, (csv, _) in cases.items():
        snippet = PREDICT_SNIPPET.format(
            model=tmp_path / f"{name}.keras", csv=csv, output=""
        )
        script += snippet + textwrap.dedent(
            f"""
            import numpy as np
            np.save({str(tmp_path / name)!r}, np.asarray(predictions))
            """
        )
    script += "assert [m for m in sys.modules if m.startswith('kreg')] == ['kreg']\n"
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ""},
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for name in cases:
        predictions = np.load(tmp_path / f"{name}.npy")
        np.testing.assert_allclose(
            predictions.reshape(expected[name].shape),
            expected[name],
            rtol=1e-4,
            atol=1e-4,
        )
    # Unseen and missing categories (one fit fewer than a test of their own).
    model = keras.models.load_model(tmp_path / "sales.keras")
    rows = pd.read_csv(sales_csv).iloc[:3].copy()
    rows["region"] = ["west", np.nan, "north"]  # unseen, missing, known
    columns = {
        n: rows[n].to_numpy(str if x.dtype == "string" else "float32")
        for n, x in model.input.items()
    }
    assert set(columns) == {"visits", "region", "discount", "member"}
    assert np.isfinite(np.asarray(model(columns))).all()


def test_the_exported_net_is_the_trained_net(tmp_path):
    frame = pd.DataFrame(
        {"a": np.linspace(0, 1, 40), "b/c": np.tile(["u", "v"], 20), "y": 0.0}
    )
    frame["y"] = frame["a"] * 3 + (frame["b/c"] == "u")
    table = load_table(frame, "y", task="regression")
    hypermodel = TabularHyperModel(
        table.features,
        table.y,
        "regression",
        None,
        numeric=table.numeric_columns,
        categorical=table.categorical_columns,
    )
    fitted, scale, [(x, _)] = hypermodel.prepare(np.arange(40))
    model = tuning.tabular_model(regularizers.L1(0.1), n_features=x.shape[1], units=0)
    path = tmp_path / "m.keras"
    save_model(model, scale, fitted, str(path))
    loaded = keras.models.load_model(path)
    # A "/" in a column name becomes "_" in the input's name (Keras' rule).
    assert set(loaded.input) == {"a", "b_c"}
    out = loaded(
        {"a": frame["a"].to_numpy("float32"), "b_c": frame["b/c"].to_numpy(str)}
    )
    reference = np.asarray(model(x)).reshape(-1) * scale[1] + scale[0]
    np.testing.assert_allclose(np.asarray(out).reshape(-1), reference, rtol=1e-5)


def test_the_guide_shows_the_tested_snippet():
    guide = pathlib.Path(__file__).parents[2] / "docs" / "guide" / "run_folder.md"
    [shown] = re.findall(r"^```py\n(.*?)^```", guide.read_text(), flags=re.S | re.M)
    assert shown == PREDICT_SNIPPET.format(
        model="kreg_runs/sales/best_model.keras",
        csv="new.csv",
        output="class probabilities, or the target in its units",
    )
