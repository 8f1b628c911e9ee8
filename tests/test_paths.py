"""Where incidentkit keeps its files: the operating system's conventional places."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from incidentkit.paths import config_dir, data_dir


@pytest.mark.skipif(sys.platform != "linux", reason="the XDG variables are the Linux convention")
def test_on_linux_the_xdg_directories_are_honoured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert config_dir() == tmp_path / "config" / "incidentkit"
    assert data_dir() == tmp_path / "data" / "incidentkit"
    assert not (tmp_path / "config").exists(), "asking where must not create anything"


@pytest.mark.skipif(sys.platform != "linux", reason="the XDG variables are the Linux convention")
def test_without_them_the_home_directory_defaults_apply(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config_dir() == tmp_path / ".config" / "incidentkit"
    assert data_dir() == tmp_path / ".local" / "share" / "incidentkit"
