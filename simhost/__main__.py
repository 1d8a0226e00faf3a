"""`python -m simhost ...` is `rtkdump-simhost ...`."""

import sys

from .cli import main

sys.exit(main())
