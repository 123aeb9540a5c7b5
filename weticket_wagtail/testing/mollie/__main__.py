"""``python -m weticket_wagtail.testing.mollie --port 8765``: see ``cli.main``."""

import sys

from .cli import main

sys.exit(main())
