"""``python -m streamfreq``: the command line."""

import sys

from streamfreq.cli import main

sys.exit(main())
