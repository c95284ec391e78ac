"""Tuner.search prints one line per trial by default; verbose=0 is silent."""

import re

import keras
import numpy as np

import kreg


def build(regularizer, dropout_rate):
    model = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(2, kernel_regularizer=regularizer),
            keras.layers.Dropout(dropout_rate),
            keras.layers.Dense(1),
        ]
    )
    model.compile(keras.optimizers.Adam(0.05), "mse", run_eagerly=True)
    return model


def _search(tmp_path, name, trials=2, **search_kwargs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 2)).astype("float32")
    y = (x[:, 0] + 0.1 * rng.normal(size=12)).astype("float32")
    tuner = kreg.tuning.Tuner(
        build, cv=2, max_trials=trials, seed=1, directory=tmp_path, project_name=name
    )
    tuner.search(x, y, epochs=1, batch_size=6, **search_kwargs)
    return tuner


def test_one_line_per_trial_by_default(tmp_path, capsys):
    _search(tmp_path, "loud")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2, lines
    pattern = (
        r"Trial {n}/2 - \d+s - val_data_loss: [\d.e+-]+ ± [\d.e+-]+ - "
        r"best: [\d.e+-]+ \(trial \d+\) - .*="
    )
    for n, line in enumerate(lines, 1):
        assert re.match(pattern.format(n=n), line), line


def test_verbose_0_is_silent(tmp_path, capsys):
    _search(tmp_path, "quiet", trials=1, verbose=0)
    assert capsys.readouterr().out == ""
