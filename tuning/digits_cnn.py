"""Tune a small CNN on scikit-learn's 8x8 digits: penalty, dropout, weight
decay and augmentation strength, by stratified k-fold cross-validation.

    python tuning/digits_cnn.py                   # a few minutes on a laptop
    python tuning/digits_cnn.py --trials 20 --cv 5 --epochs 60
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn import datasets, model_selection  # noqa: E402

import kreg  # noqa: E402


def build(regularizer, dropout_rate, weight_decay, augmentation_strength, filters=16):
    """An ordinary build function: no `hp` anywhere."""
    shift = 0.125 * augmentation_strength  # up to one pixel of 8 at strength 1
    layers = [keras.Input((8, 8, 1))]
    if shift > 0:
        layers.append(
            keras.layers.RandomTranslation(shift, shift, fill_mode="constant")
        )
    layers += [
        keras.layers.Conv2D(
            filters,
            3,
            padding="same",
            activation="relu",
            kernel_regularizer=regularizer,
        ),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(2 * filters, 3, padding="same", activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dropout(dropout_rate),
        keras.layers.Dense(10, activation="softmax"),
    ]
    model = keras.Sequential(layers)
    model.compile(
        keras.optimizers.AdamW(1e-2, weight_decay=weight_decay),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--trials", type=int, default=4, help="settings to try")
    parser.add_argument("--cv", type=int, default=3, help="folds per trial")
    parser.add_argument("--epochs", type=int, default=20, help="most epochs per fit")
    parser.add_argument("--samples", type=int, default=0, help="0 uses all 1797")
    parser.add_argument("--oracle", default="random", help="KerasTuner oracle")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the split, folds and search"
    )
    parser.add_argument(
        "--directory", default="tuning_runs", help="KerasTuner project folder"
    )
    parser.add_argument(
        "--resume", action="store_true", help="keep an existing project"
    )
    args = parser.parse_args(argv)

    x, y = datasets.load_digits(return_X_y=True)
    x = (x / 16.0).reshape(-1, 8, 8, 1).astype("float32")
    if args.samples:
        x, y = x[: args.samples], y[: args.samples]
    x_train, x_test, y_train, y_test = model_selection.train_test_split(
        x, y, test_size=0.25, random_state=args.seed, stratify=y
    )
    hypermodel = kreg.tuning.HyperModel(
        build,
        regularizer=lambda hp: kreg.tuning.regularizer(
            hp, kinds=("l2", "group_lasso"), groups="units", max_strength=1e-2
        ),
        dropout_rate=lambda hp: kreg.tuning.dropout_rate(hp, max_value=0.5),
        filters=[8, 16],
    )
    tuner = kreg.tuning.Tuner(
        hypermodel,
        oracle=args.oracle,
        cv=args.cv,  # stratified: the labels are integers
        max_trials=args.trials,
        max_epochs=args.epochs,
        seed=args.seed,
        patience=5,
        directory=args.directory,
        project_name="digits_cnn",
        overwrite=not args.resume,
    )
    tuner.search(x_train, y_train, epochs=args.epochs, batch_size=64)
    for row in tuner.cv_results():
        print(
            f"trial {row['trial_id']}: {row['mean']:.4f} "
            f"± {row['standard_error']:.4f}  {row['hyperparameters']}"
        )
    for rule in ("min", "1se"):
        model = tuner.refit(x_train, y_train, rule=rule, batch_size=64)
        accuracy = np.mean(model.predict(x_test, verbose=0).argmax(1) == y_test)
        print(
            f"{rule}: trial {tuner.best_trial(rule).trial_id}, "
            f"test accuracy {accuracy:.3f}"
        )


if __name__ == "__main__":
    main()
