"""The model families of :func:`kreg.tuning.tabular_path`: their options and names."""

#: Options of a candidate, with their defaults.
OPTIONS = {
    "depth": 1,
    "dropout": 0.0,
    "select_inputs": False,
    "adaptive": False,
    "seeds": 1,
}


def options_ok(options) -> bool:
    return isinstance(options, dict) and set(options) <= set(OPTIONS)


def unpack(candidate) -> tuple:
    """``(units, regularizer, options)`` with every option filled in."""
    options = {**OPTIONS, **(candidate[2] if len(candidate) == 3 else {})}
    return candidate[0], candidate[1], options


def complexity(candidate) -> int:
    """How wide a candidate is, for the one-standard-error rule across
    families: hidden units times hidden layers (0 for the GLM)."""
    units, _, options = unpack(candidate)
    return units * options["depth"]


def label(candidate) -> str:
    """A short name: ``"linear-l1"``, ``"net32-l1"``,
    ``"select32-group_lasso"``, ``"net128x2-l1-dropout0.1"``."""
    units, regularizer, options = unpack(candidate)
    kind = regularizer if isinstance(regularizer, str) else regularizer.label
    if options["adaptive"]:
        kind = f"adaptive_{kind}"
    if not units:
        return f"linear-{kind}"
    name = ("select" if options["select_inputs"] else "net") + str(units)
    if options["depth"] > 1:
        name += f"x{options['depth']}"
    text = f"{name}-{kind}"
    if options["dropout"]:
        text += f"-dropout{options['dropout']:g}"
    if options["seeds"] > 1:
        text += f"-seeds{options['seeds']}"
    return text


def name(regularizer) -> str:
    if isinstance(regularizer, str):
        return regularizer
    return repr(regularizer)
