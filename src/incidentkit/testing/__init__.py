"""Stand-ins for the services incidentkit talks to, for testing workflows without them.

incident.io itself has :mod:`incidentkit.emulator` (and its pytest fixtures); Slack has
:class:`SlackRecorder`; any other HTTP service can be a :class:`LoopbackServer` with a function
that answers its requests.
"""

from incidentkit.testing.loopback import LoopbackServer, Received
from incidentkit.testing.slack import SlackMessage, SlackRecorder

__all__ = ["LoopbackServer", "Received", "SlackMessage", "SlackRecorder"]
