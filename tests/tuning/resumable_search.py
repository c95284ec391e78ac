"""A small search run as a subprocess by test_resume.py (killed with -9)."""

import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

EPOCHS = 4


def main(directory: str, log: str) -> None:
    import keras
    import numpy as np

    import kreg

    class Log(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self._write("fit")

        def on_epoch_begin(self, epoch, logs=None):
            self._write(f"epoch {epoch}")
            time.sleep(0.2)  # room for the test to kill mid-epoch

        def _write(self, line):
            with open(log, "a") as f:
                f.write(line + "\n")

    def build(regularizer, dropout_rate):
        model = keras.Sequential(
            [
                keras.Input((3,)),
                keras.layers.Dense(4, "relu", kernel_regularizer=regularizer),
                keras.layers.Dropout(dropout_rate),
                keras.layers.Dense(1),
            ]
        )
        model.compile("adam", "mse", run_eagerly=True)
        return model

    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = (x @ np.array([1.0, 0.0, -1.0])).astype("float32")
    tuner = kreg.tuning.Tuner(
        build,
        cv=2,
        max_trials=2,
        seed=3,
        patience=None,
        directory=directory,
        project_name="p",
    )
    tuner.search(x, y, epochs=EPOCHS, batch_size=8, callbacks=[Log()])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
