"""``python -m cortexlink`` runs the command line."""

import sys

from cortexlink.cli import main

sys.exit(main())
