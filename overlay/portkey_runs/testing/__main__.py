"""``python -m portkey_runs.testing``: the reference server, as ``portkey-runs serve``."""

import sys

from portkey_runs.cli import main

sys.exit(main(["serve", *sys.argv[1:]]))
