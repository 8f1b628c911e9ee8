"""A throwaway PostgreSQL cluster on loopback, for tests and benchmarks.

It runs Debian's ``initdb``/``pg_ctl`` (from ``/usr/lib/postgresql/<version>/bin`` or the ``PATH``) in a
temporary directory on a free port, trusting local connections, and deletes everything on stop.
PostgreSQL refuses to run as root, so as root the cluster runs as the ``postgres`` user in a
directory that user owns.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType


class PostgresUnavailable(RuntimeError):
    """No throwaway cluster can be started here; the message says why."""


def _bin_dir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    raise PostgresUnavailable("PostgreSQL's initdb was not found (install the postgresql package)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class TemporaryPostgres:
    """A running throwaway cluster; a context manager that stops and deletes it."""

    directory: Path
    port: int
    user: str
    _bin: Path
    _run_as: str | None

    @classmethod
    def start(cls, *, durable: bool = True) -> TemporaryPostgres:
        """Create and start a cluster.

        Args:
            durable: flush every commit to disk, as a production server does (benchmarks want
                this). Tests pass False: a throwaway cluster need not survive a power cut, and
                creating a database per test is much faster without flushes.

        Raises:
            PostgresUnavailable: the binaries are missing or the server would not start.
        """
        bin_dir = _bin_dir()
        run_as = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("running as root and there is no postgres user") from None
            run_as = "postgres"
        directory = Path(tempfile.mkdtemp(prefix="incidentkit-pg-"))
        if run_as is not None:
            shutil.chown(directory, user=run_as)
        cluster = cls(directory, _free_port(), "postgres", bin_dir, run_as)
        try:
            data = str(directory / "data")
            cluster._run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8")
            cluster._run(
                "pg_ctl",
                "-D",
                str(directory / "data"),
                "-l",
                str(directory / "server.log"),
                "-w",
                "-o",
                f"-p {cluster.port} -c listen_addresses=127.0.0.1 -k {directory} "
                + (
                    "-c fsync=on"
                    if durable
                    else "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                ),
                "start",
            )
        except PostgresUnavailable:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        return cluster

    def _run(self, program: str, *args: str) -> None:
        argv = [str(self._bin / program), *args]
        if self._run_as is not None:
            argv = ["runuser", "-u", self._run_as, "--", *argv]
        try:
            subprocess.run(argv, check=True, capture_output=True, text=True, cwd=self.directory, timeout=120)
        except (OSError, subprocess.SubprocessError) as error:
            output = getattr(error, "stderr", "") or ""
            raise PostgresUnavailable(f"{program} failed: {error} {output.strip()[-500:]}") from None

    def url(self, database: str = "postgres") -> str:
        """A ``postgresql://`` URL for a database of this cluster."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')  # name chosen by the caller, not a user
        return self.url(name)

    def stop(self) -> None:
        """Stop the server and delete its files."""
        try:
            self._run("pg_ctl", "-D", str(self.directory / "data"), "-m", "immediate", "-w", "stop")
        except PostgresUnavailable:
            pass  # it may already be gone; the files are removed either way
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> TemporaryPostgres:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
