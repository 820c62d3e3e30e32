"""``python -m nnedu``: the command line, see :mod:`nnedu.cli`."""
import importlib.util
import sys
from pathlib import Path

import nnedu

if getattr(nnedu, "__file__", None) is None:
    # A folder named ``nnedu`` without ``__init__.py`` in the current directory (typically the clone
    # of this repository, seen from its parent folder) made Python import ``nnedu`` as an empty
    # namespace package. Load the real package, the one this file belongs to.
    _here = Path(__file__).resolve().parent
    _spec = importlib.util.spec_from_file_location("nnedu", _here / "__init__.py",
                                                   submodule_search_locations=[str(_here)])
    sys.modules["nnedu"] = nnedu = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(nnedu)

from nnedu.cli import main  # noqa: E402  (after the package is the real one)

if __name__ == "__main__":
    sys.exit(main())
