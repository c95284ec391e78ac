"""``python -m kreg``: the same as the ``kreg`` command."""

import sys

from kreg.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
