"""``python -m data.demo``: build the demo organisation (see :mod:`data.demo.builder`)."""

import sys

from data.demo.builder import main

sys.exit(main())
