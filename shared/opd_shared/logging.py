"""One log format for every service: plain lines for people, JSON lines for machines.

Every line carries the correlation id of the request it belongs to: the gateway's command
id, which the allocator's decision and the read models' events carry on, so one grep follows
a booking through all four services.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar

__all__ = ["configure_logging", "correlation_id"]

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


class _WithCorrelation(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        return True


class _JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "service": self.service,
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if getattr(record, "correlation_id", None):
            line["correlation_id"] = record.correlation_id
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class _PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        cid = getattr(record, "correlation_id", None)
        return f"{text} [{cid}]" if cid else text


def configure_logging(service: str, level: str = "INFO", as_json: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_WithCorrelation())
    handler.setFormatter(_JsonFormatter(service) if as_json else _PlainFormatter(
        f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiormq", "aio_pika"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
