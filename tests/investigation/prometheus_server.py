"""A throwaway Prometheus on loopback for the evidence tests: Debian's ``prometheus``, temp config and data.

It scrapes the targets it is given every second, so a test sees samples within seconds. Where the
binary is missing or will not start, :class:`PrometheusUnavailable` says why (the fixture skips
with that reason; CI installs the package, so it does not skip there).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx2

START_TIMEOUT_SECONDS = 30.0


class PrometheusUnavailable(RuntimeError):
    """No Prometheus can be started here; the message says why."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class TemporaryPrometheus:
    """A running Prometheus; a context manager that stops it and deletes its files."""

    url: str
    directory: Path
    process: subprocess.Popen[bytes]

    @classmethod
    def start(cls, targets: list[str], *, scrape_interval: str = "1s") -> TemporaryPrometheus:
        """Start Prometheus scraping ``targets`` (``host:port``) every ``scrape_interval``.

        Raises:
            PrometheusUnavailable: the binary is missing, or the server did not become ready.
        """
        binary = shutil.which("prometheus") or (
            "/usr/bin/prometheus" if Path("/usr/bin/prometheus").exists() else None
        )
        if binary is None:
            raise PrometheusUnavailable("the prometheus binary was not found (apt-get install prometheus)")
        directory = Path(tempfile.mkdtemp(prefix="incidentkit-prom-"))
        listed = ", ".join(f"'{target}'" for target in targets)
        (directory / "prometheus.yml").write_text(
            f"global:\n  scrape_interval: {scrape_interval}\n  evaluation_interval: {scrape_interval}\n"
            f"scrape_configs:\n  - job_name: test\n    scrape_interval: {scrape_interval}\n"
            f"    static_configs:\n      - targets: [{listed}]\n"
        )
        port = _free_port()
        log = (directory / "prometheus.log").open("wb")
        try:
            process = subprocess.Popen(
                [
                    binary,
                    f"--config.file={directory / 'prometheus.yml'}",
                    f"--storage.tsdb.path={directory / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--log.level=warn",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=directory,
            )
        except OSError as error:
            shutil.rmtree(directory, ignore_errors=True)
            raise PrometheusUnavailable(f"prometheus could not be run: {error}") from None
        finally:
            log.close()
        server = cls(f"http://127.0.0.1:{port}", directory, process)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                output = (directory / "prometheus.log").read_text(errors="replace")[-500:]
                server.stop()
                raise PrometheusUnavailable(f"prometheus exited with {process.returncode}: {output}")
            try:
                if httpx2.get(f"{server.url}/-/ready", timeout=1.0).status_code == 200:
                    return server
            except httpx2.TransportError:
                pass
            time.sleep(0.1)
        server.stop()
        raise PrometheusUnavailable(f"prometheus was not ready within {START_TIMEOUT_SECONDS:g}s")

    def stop(self) -> None:
        """Stop the server (by its own process id) and delete its files."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> TemporaryPrometheus:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
