"""Where incidentkit keeps its files on this machine: the conventional places of each operating system.

On Linux (and the BSDs) these are the XDG directories (``$XDG_CONFIG_HOME/incidentkit``, else
``~/.config/incidentkit``; ``$XDG_DATA_HOME/incidentkit``, else ``~/.local/share/incidentkit``); on
macOS ``~/Library/Application Support/incidentkit``; on Windows the user's ``AppData`` folders. The
directories are not created here: whoever writes a file there creates them (readable by the owner only).
"""

from __future__ import annotations

from pathlib import Path

APP_NAME = "incidentkit"


def config_dir() -> Path:
    """Where settings and credentials live (``config.toml``, ``credentials.json``)."""
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """Where the default store, caches and the sandbox state live."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
