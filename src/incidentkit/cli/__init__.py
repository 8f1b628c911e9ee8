"""The ``incidentkit`` command line."""

from __future__ import annotations

import click

from incidentkit import __version__


@click.group()
@click.version_option(__version__, prog_name="incidentkit")
def main() -> None:
    """A toolkit for teams that run their incidents in incident.io."""
