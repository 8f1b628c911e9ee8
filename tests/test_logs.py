"""The process log: text or JSON lines, the level, and the run context each line carries."""

from __future__ import annotations

import io
import logging

import pytest

from incidentkit.logs import configure_logging, log_context


def test_the_text_format_and_the_level() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    try:
        configure_logging("warning", "text", stream=stream)
        log = logging.getLogger("incidentkit.test")
        with log_context(run_id="run_1", workflow="ack"), log_context(step="post"):
            log.info("hidden below the level")
            log.warning("retrying")
        log.error("no run here")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in before[0]:
            root.addHandler(handler)
        root.setLevel(before[1])
    first, second = stream.getvalue().splitlines()
    assert first.endswith(" WARNING incidentkit.test run=run_1 workflow=ack step=post: retrying")
    assert first[:4].isdigit() and first[10] == "T"
    assert second.endswith(" ERROR incidentkit.test: no run here")
    with pytest.raises(ValueError, match="unknown log format 'xml'"):
        configure_logging("info", "xml")
