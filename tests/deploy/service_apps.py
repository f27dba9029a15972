"""Each service's app as its process builds it, with settings a test chooses.

Built without its lifespan (no broker, no database): pages, documentation and /metrics
answer from the app alone, and those are what the deployment settings change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from allocator.main import create_app as allocator_app
from allocator.settings import AllocatorSettings
from analytics.main import create_app as analytics_app
from analytics.settings import AnalyticsSettings
from booking_gateway.main import create_app as gateway_app
from booking_gateway.settings import GatewaySettings
from interop.main import create_app as interop_app
from interop.settings import InteropSettings
from notifier.main import create_app as notifier_app
from notifier.settings import NotifierSettings
from opd_shared.settings import ServiceSettings
from queue_view.main import create_app as queue_view_app
from queue_view.settings import QueueViewSettings

__all__ = ["SERVICES", "Service", "client"]


@dataclass(frozen=True)
class Service:
    name: str
    create_app: Callable[[Any], FastAPI]
    settings: type[ServiceSettings]

    def app(self, **settings: Any) -> FastAPI:
        return self.create_app(self.settings(_env_file=None, **settings))  # type: ignore[call-arg]


SERVICES = [
    Service("gateway", gateway_app, GatewaySettings),
    Service("allocator", allocator_app, AllocatorSettings),
    Service("queue-view", queue_view_app, QueueViewSettings),
    Service("analytics", analytics_app, AnalyticsSettings),
    Service("interop", interop_app, InteropSettings),
    Service("notifier", notifier_app, NotifierSettings),
]


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
