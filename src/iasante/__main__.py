"""``python -m iasante`` runs the CLI."""

from iasante.cli import main

main()
