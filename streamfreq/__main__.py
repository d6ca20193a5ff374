"""``python -m streamfreq``: the command line."""

import sys

from streamfreq.launch import cli

sys.exit(cli())
