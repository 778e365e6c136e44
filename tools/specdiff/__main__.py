import sys

from tools.specdiff.cli import main

sys.exit(main())
