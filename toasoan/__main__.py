"""`python -m toasoan`, the same program as the installed `toasoan` command (for a checkout whose scripts
directory is not on the PATH)."""

import sys

from toasoan.program import main

if __name__ == "__main__":
    sys.exit(main())
