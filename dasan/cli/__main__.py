"""``python -m dasan.cli``: the ``dasan`` command."""

from dasan.cli import main

main()
