"""Runs the command line as `python -m reconciler`."""

import sys

from .cli import main

sys.exit(main())
