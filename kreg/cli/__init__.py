"""The ``kreg`` command line (``kreg tune``, ``kreg report``)."""

from kreg.cli.main import main

__all__ = ["main"]
