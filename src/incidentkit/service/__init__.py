"""The incidentkit service: receiver, processor, dispatcher, workers and HTTP endpoints, built from settings.

``incidentkit serve``, ``incidentkit worker``, the demo and the tests all build it with
:class:`Service`; see :mod:`incidentkit.service.builder`.
"""

from incidentkit.service.builder import Service, ServiceSettings, describe

__all__ = ["Service", "ServiceSettings", "describe"]
