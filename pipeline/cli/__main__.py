"""``python -m pipeline.cli`` is ``inferq``."""

import sys

from pipeline.cli import main

sys.exit(main())
