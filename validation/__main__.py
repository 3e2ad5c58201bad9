"""``python -m validation`` runs the ``attention-dynamics`` command line."""

import sys

from .cli import main

sys.exit(main())
