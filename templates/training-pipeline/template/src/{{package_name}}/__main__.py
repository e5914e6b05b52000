"""`python -m <package>` runs the pipeline command line."""

from .cli import main

raise SystemExit(main())
