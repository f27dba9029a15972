"""HTTP entrypoint: `uvicorn queue_view.main:create_app --factory --port 8001`.

Nothing is built at import time; the lifespan runs `bootstrap.start` (opd_shared.app).
"""

from __future__ import annotations

from fastapi import FastAPI

from opd_shared.app import process_settings, service_app
from opd_shared.health import add_health_routes
from queue_view import bootstrap
from queue_view.display.page import mount_page
from queue_view.patient.page import mount_patient_page
from queue_view.routes import api
from queue_view.settings import QueueViewSettings

__all__ = ["create_app"]

DESCRIPTION = """Read model of doctors, slots, queues and tokens for displays and patients.

Every read under /api/v1 needs `Authorization: Bearer <key>` (any role), unless the
deployment opens reads (`OPD_OPEN_READS`); patients' names, phones and notes are null
except for keys that may read patients (desk, staff, admin); /api/v1/admin is for admin
keys only."""


def create_app(settings: QueueViewSettings | None = None) -> FastAPI:
    settings = settings or process_settings(QueueViewSettings)
    app = service_app(settings, bootstrap.start, title="OPD queue-view",
                      description=DESCRIPTION, version="1")
    add_health_routes(app)
    app.include_router(api)
    mount_page(app)
    mount_patient_page(app)
    return app
