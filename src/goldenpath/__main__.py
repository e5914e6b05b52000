"""`python -m goldenpath` behaves exactly like the `goldenpath` command."""

from goldenpath.cli import main

main()
