"""``python -m validation`` runs the ``attention-dynamics`` command line."""

import sys

from .launch import run

sys.exit(run())
