"""``python -m portkey_runs.cli``: the ``portkey-runs`` command."""

import sys

from . import main

sys.exit(main())
