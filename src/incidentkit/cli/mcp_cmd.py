"""``incidentkit mcp``: the agent tools, served to an MCP client over stdio or streamable HTTP."""

from __future__ import annotations

import click

from incidentkit.cli.connection import Connection, connection_options, describe_organisation
from incidentkit.cli.storage import store_option

DEFAULT_PORT = 8765


@click.command()
@click.option(
    "--transport",
    type=click.Choice(["stdio", "http"]),
    default="stdio",
    show_default=True,
    help="stdio: the MCP client starts this command and talks over its stdin and stdout; http: "
    "serve MCP's streamable HTTP at http://HOST:PORT/mcp.",
)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="With --transport http: where to listen."
)
@click.option(
    "--port",
    default=DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="With --transport http: the port (0 picks a free one).",
)
@store_option
@connection_options
def mcp(transport: str, host: str, port: int, store_url: str | None, connection: Connection) -> None:
    """Serve incident.io, the investigation and on-call as tools for AI agents (MCP).

    The tools read incidents (incident_io_incidents, get_incident_details, list_recent_incidents),
    investigate them (correlate_incidents, recent_changes, investigate) and act (post_update,
    add_timeline_item, create_follow_up, page, request_approval). --read-only, or a key whose
    roles allow no write, leaves every write tool out. With --sandbox the tools work on the
    built-in emulator, with no key. Nothing but MCP goes to stdout; notes go to stderr.
    """
    from incidentkit.agent_tools import Toolbox
    from incidentkit.agent_tools.server import build_server, key_can_write

    client = connection.client()
    read_only = connection.read_only
    click.echo(describe_organisation(client), err=True)
    if not read_only:
        can_write, roles = key_can_write(client)
        if not can_write:
            read_only = True
            click.echo(
                f"The API key's roles ({roles}) allow no write: serving the read-only tools.", err=True
            )
    box = Toolbox(client, store_url=store_url, agent="an agent (incidentkit mcp)")
    server = build_server(box, read_only=read_only)
    mode = "read-only" if read_only else "read and write"
    try:
        if transport == "stdio":
            import anyio

            click.echo(f"Serving the incidentkit tools ({mode}) over stdio.", err=True)
            anyio.run(server.run_stdio_async)
        else:
            _serve_http(server, host, port, mode)
    finally:
        box.close()


def _serve_http(server: object, host: str, port: int, mode: str) -> None:
    from incidentkit.agent_tools.server import HTTP_PATH, streamable_http_app
    from incidentkit.serving import bind, serve_forever, url_of

    sock = bind(host, port)
    url = url_of(sock) + HTTP_PATH
    app = streamable_http_app(server, host=host)  # type: ignore[arg-type]

    def ready() -> None:
        click.echo(
            f"Serving the incidentkit tools ({mode}) at {url} (streamable HTTP); Ctrl-C stops.", err=True
        )

    serve_forever(app, sock, on_ready=ready, lifespan="on")
