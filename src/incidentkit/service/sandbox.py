"""The sandbox: incident.io's emulator with the demo organisation and a stand-in for Slack, on loopback.

``incidentkit serve --sandbox`` and ``incidentkit demo`` both run the service against it, so the
whole path (an incident changes, a signed webhook arrives, it is stored, workflows run, Slack
steps post) works with no account and no key, and nothing reaches incident.io or Slack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from incidentkit.api import Client
    from incidentkit.emulator import Emulator
    from incidentkit.testing import SlackMessage, SlackRecorder
    from incidentkit.workflows.nodes import SlackSettings

# Only the sandbox's stand-in for Slack accepts it.
SANDBOX_SLACK_TOKEN = "xoxb-sandbox-demo"


def start_slack_stand_in(
    on_message: Callable[[SlackMessage], None] | None = None,
) -> tuple[SlackRecorder, SlackSettings]:
    """The stand-in for Slack, serving on 127.0.0.1, and the settings that point ``slack.post`` at it.

    Stop the recorder when done.
    """
    from incidentkit.credentials import Secret
    from incidentkit.testing import SlackRecorder
    from incidentkit.workflows.nodes import SlackSettings

    recorder = SlackRecorder(token=SANDBOX_SLACK_TOKEN, on_message=on_message).start()
    return recorder, SlackSettings(token=Secret(SANDBOX_SLACK_TOKEN), base_url=recorder.base_url)


@dataclass
class Sandbox:
    """The emulator served on loopback and delivering its webhooks, with the Slack stand-in beside it.

    Attributes:
        url: the emulator's base URL (give it to clients as ``base_url``).
        emulator: the emulator itself (its state, its clock).
        client: a client of the emulator with the sandbox key.
        slack: the Slack stand-in; its ``messages`` are what the workflows posted.
        slack_settings: ``slack.post`` settings pointing at the stand-in.
    """

    url: str
    emulator: Emulator
    client: Client
    slack: SlackRecorder
    slack_settings: SlackSettings
    _stop: Callable[[], None]

    def register(self, webhook_url: str, secret: str) -> None:
        """Have the emulator deliver its webhooks to ``webhook_url``, signed with ``secret``."""
        endpoint = {"url": webhook_url, "secret": secret}
        self.client.request("POST", "/_emulator/webhook_endpoints", json=endpoint)

    def stop(self) -> None:
        """Stop the emulator, its deliveries and the Slack stand-in."""
        self._stop()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def start_sandbox(
    *, seed: str = "demo", on_slack_message: Callable[[SlackMessage], None] | None = None
) -> Sandbox:
    """Serve the emulator (``seed``'s organisation) and the Slack stand-in; deliver its webhooks meanwhile."""
    from contextlib import ExitStack

    from incidentkit.api import Client
    from incidentkit.emulator import SANDBOX_API_KEY, Emulator, serve_in_thread

    with ExitStack() as stack:
        emulator = Emulator(seed=seed)
        server = stack.enter_context(serve_in_thread(emulator.asgi_app()))
        stack.callback(emulator.deliver_in_background().stop)
        recorder, slack_settings = start_slack_stand_in(on_slack_message)
        stack.callback(recorder.stop)
        client = stack.enter_context(Client(SANDBOX_API_KEY, base_url=server.url, rate_limit=None))
        running = stack.pop_all()
    return Sandbox(server.url, emulator, client, recorder, slack_settings, running.close)
