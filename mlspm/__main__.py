"""``python -m mlspm``: the same as the ``mlspm`` command."""

from mlspm.cli import main

main()
