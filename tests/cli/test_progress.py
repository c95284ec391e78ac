"""The progress bar: redrawn per fold on a terminal, one line per trial in logs."""

import io

from kreg.cli.progress import Progress

RECORD = {"trial_id": "0", "settings": "l2 λ=1.00e-03, dropout 0.1", "score": 0.07}


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_on_a_terminal_and_in_a_log():
    terminal, log = _Terminal(), io.StringIO()
    for stream in (terminal, log):
        progress = Progress(4, 2, "log loss", stream)
        progress.trial_begin("0")
        progress.fold_done()
        progress.fold_done()
        progress.trial_done({**RECORD, "score_se": 0.01})
        progress.trial_begin("1")
        progress.fold_done()
    frames = terminal.getvalue().split("\r")
    assert frames[1].startswith("[##------------------] trial 1/4 | fold 1/2")
    assert (
        "trial 2/4 | fold 1/2 | best log loss 0.0700 ± 0.0100 (trial 0)" in frames[-1]
    )
    lines = log.getvalue().splitlines()
    assert len(lines) == 1  # no redraws in a log file: one line per finished trial
    assert lines[0].startswith(
        "trial 0 (1/4) l2 λ=1.00e-03, dropout 0.1: log loss 0.0700 ± 0.0100 | best"
    )
