"""incident.io on your machine: the API's paths, payloads, errors, pagination, rate limits and webhooks.

Use it without sockets through :meth:`Emulator.transport`, or serve it on loopback with
``incidentkit emulator serve`` or :func:`serve_in_thread`.
"""

from incidentkit.emulator.core import SANDBOX_API_KEY, Emulator, EmulatorRequest, EmulatorResponse
from incidentkit.emulator.faults import Fault
from incidentkit.emulator.seed import SEEDS
from incidentkit.serving import RunningServer, serve_in_thread

__all__ = [
    "SANDBOX_API_KEY",
    "SEEDS",
    "Emulator",
    "EmulatorRequest",
    "EmulatorResponse",
    "Fault",
    "RunningServer",
    "serve_in_thread",
]
