"""incidentkit: a toolkit for teams that run their incidents in incident.io.

The package is split into rooms with one job each: ``api`` (the client library), ``emulator``
(incident.io on your machine), ``webhooks`` and ``store`` (durable receipt of events), ``workflows``
(automation) and ``cli`` (the ``incidentkit`` command). Import the room you need; nothing heavy
is imported here so that ``incidentkit --help`` stays fast.
"""

__version__ = "0.1.0"
