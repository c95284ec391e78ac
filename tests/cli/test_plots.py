"""The run's plots: equal settings side by side, empty panels in words."""

import math

import pytest

from kreg.cli import plots


def _records():
    rows = [
        ("none", math.nan, 0.1),
        ("none", math.nan, 0.1),
        ("l1", 1e-3, 0.1),
        ("group_lasso", 1e-3, 0.4),
    ]
    return [
        dict(trial_id=str(i), regularizer=k, strength=s, dropout=d, score=0.1 + i / 100)
        | {"score_se": 0.01}
        for i, (k, s, d) in enumerate(rows)
    ]


def test_equal_settings_are_set_side_by_side():
    records = _records()
    xs = plots._spread(records, lambda r: r["dropout"], step=0.01, log=False)
    at_01 = sorted(xs[id(r)] for r in records if r["dropout"] == 0.1)
    assert at_01 == pytest.approx([0.09, 0.1, 0.11])
    assert xs[id(records[3])] == 0.4  # alone at its rate: not moved
    logs = plots._spread(records[2:], lambda r: r["strength"], step=1.25, log=True)
    assert sorted(logs.values()) == pytest.approx([1e-3 / 1.25**0.5, 1e-3 * 1.25**0.5])


def test_every_plot_is_written(tmp_path):
    records = _records()
    chosen = {"min": dict(records[1]), "1se": records[3]}  # a copy is found too
    plots.score_vs_strength(records, chosen, "log loss", str(tmp_path / "s.png"))
    plots.score_vs_dropout(records, chosen, "log loss", str(tmp_path / "d.png"))
    models = {
        name: [{"layer": "dense", "zero_fraction": 0.0, "near_zero_fraction": 0.02}]
        for name in ("min", "1se")
    }
    plots.sparsity(models, str(tmp_path / "z.png"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.png", "s.png", "z.png"]


def test_an_empty_panel_says_so(monkeypatch, tmp_path):
    said = []
    saved = plots._save

    def keep_texts(figure, path):
        said.extend(t.get_text() for axis in figure.axes for t in axis.texts)
        saved(figure, path)

    monkeypatch.setattr(plots, "_save", keep_texts)
    models = {
        "min": [{"layer": "dense", "zero_fraction": 0.0, "near_zero_fraction": 0.0}]
    }
    plots.sparsity(models, str(tmp_path / "z.png"))
    assert said == [
        "no weight is exactly zero, in any model",
        "no weight is within 1e-3 of 0, in any model",
    ]
