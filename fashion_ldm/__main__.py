"`python -m fashion_ldm ...` is the `fashion-ldm` command (see fashion_ldm.cli)."
import sys

from fashion_ldm.cli import main

sys.exit(main())
