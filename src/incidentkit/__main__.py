"""``python -m incidentkit`` runs the ``incidentkit`` command."""

from incidentkit.cli import main

main()
