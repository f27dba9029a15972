"""One logging rule for every service: the process (uvicorn calling `create_app()` without
settings) sets the log format once, through `process_settings`; an app built with settings
(every test) leaves logging as it found it, pytest's capture included."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import ClassVar

from opd_shared.app import process_settings, service_app
from opd_shared.settings import ServiceSettings

ROOT = Path(__file__).parents[2]
RULE = {ROOT / "shared" / "opd_shared" / name for name in ("app.py", "logging.py")}


class Example(ServiceSettings):
    service: ClassVar[str] = "example"


def test_only_process_settings_configures_logging():
    sources = [path for top in ("shared", "services", "ops", "deploy")
               for path in (ROOT / top).glob("**/*.py")
               if "tests" not in path.relative_to(ROOT).parts]

    callers = [path.relative_to(ROOT) for path in sources
               if path not in RULE and "configure_logging(" in path.read_text()]

    assert callers == []


def test_a_process_sets_the_format_and_an_app_given_settings_leaves_logging_alone(monkeypatch):
    root = logging.getLogger()
    before = list(root.handlers)
    monkeypatch.setattr(root, "handlers", list(before))  # restored after the test
    monkeypatch.setattr(root, "level", root.level)
    monkeypatch.setenv("OPD_LOG_LEVEL", "warning")

    service_app(Example(_env_file=None))  # type: ignore[call-arg]
    untouched = list(root.handlers)
    process_settings(Example)

    assert untouched == before
    assert len(root.handlers) == 1 and root.handlers[0] not in before
    assert root.level == logging.WARNING
    assert "example" in root.handlers[0].formatter.format(  # type: ignore[union-attr]
        logging.makeLogRecord({"msg": "hello"}))
