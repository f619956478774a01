"""Entry point of ``python -m sla``."""

import sys

from sla.cli import main

sys.exit(main())
