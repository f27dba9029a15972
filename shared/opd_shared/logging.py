"""One log format for every service: plain lines for people, JSON lines for machines.

Every line carries the correlation id of the request it belongs to: the gateway's command
id, which the allocator's decision and the read models' events carry on, so one grep follows
a booking through all four services. Messages and tracebacks pass through `redact` on
the way out: an exception's text is not ours (PostgreSQL's DETAIL shows the failing row,
pydantic quotes the input it refused), and no log line may show a patient's name or phone.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar

from opd_shared.redact import redact

__all__ = ["configure_logging", "correlation_id", "formatter"]

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


class _WithCorrelation(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        return True


def _redact_traceback(text: str) -> str:
    """Each line but the `File "..."` ones, whose quoted path is where, not what."""
    return "\n".join(line if line.startswith('  File "') else redact(line)
                     for line in text.split("\n"))


class _Redacting(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record.exc_text = None  # another handler may have cached it unredacted
        return super().format(record)

    def formatException(self, ei) -> str:
        return _redact_traceback(super().formatException(ei))

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = redact(record.message)
        return super().formatMessage(record)


class _JsonFormatter(_Redacting):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "service": self.service,
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if correlation := getattr(record, "correlation_id", None):
            line["correlation_id"] = correlation
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class _PlainFormatter(_Redacting):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        cid = getattr(record, "correlation_id", None)
        return f"{text} [{cid}]" if cid else text


def formatter(service: str, as_json: bool = False) -> logging.Formatter:
    """How `service` writes its log lines (redacted), for a handler or a test."""
    return _JsonFormatter(service) if as_json else _PlainFormatter(
        f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s")


def configure_logging(service: str, level: str = "INFO", as_json: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_WithCorrelation())
    handler.setFormatter(formatter(service, as_json))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiormq", "aio_pika"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
