"""``python -m nnedu``: the command line, see :mod:`nnedu.cli`."""
import sys

from nnedu.cli import main

if __name__ == "__main__":
    sys.exit(main())
