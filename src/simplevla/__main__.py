"""`python -m simplevla ...` (and `torchrun ... -m simplevla train ...`): the `simplevla` command."""

import sys

from simplevla.cli import main

sys.exit(main())
