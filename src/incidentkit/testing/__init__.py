"""Stand-ins for the services incidentkit talks to, for testing workflows without them.

incident.io itself has :mod:`incidentkit.emulator` (and its pytest fixtures); Slack has
:class:`SlackRecorder`.
"""

from incidentkit.testing.slack import SlackMessage, SlackRecorder

__all__ = ["SlackMessage", "SlackRecorder"]
