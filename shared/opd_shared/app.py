"""Every service's FastAPI app starts here, so each wears the same protections: one error
shape, body limit, security headers, /metrics (behind OPD_METRICS_KEY when set), and the
API documentation only where OPD_API_DOCS allows it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from opd_shared.http import install_error_handlers
from opd_shared.metrics import instrument
from opd_shared.middleware import SecurityHeaders
from opd_shared.settings import ServiceSettings

__all__ = ["service_app"]


def service_app(settings: ServiceSettings, **fastapi: Any) -> FastAPI:
    """A FastAPI app (`fastapi` are its title, lifespan, ...) with the shared layers."""
    docs = settings.api_docs  # off: no route at all, so the paths answer 404 like any other
    app = FastAPI(openapi_url="/openapi.json" if docs else None,
                  docs_url="/docs" if docs else None,
                  redoc_url="/redoc" if docs else None, **fastapi)
    install_error_handlers(app)
    instrument(app, settings.metrics_key)
    docs_pages = {app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url}
    # Added last, so it is the outermost layer: the 413 and 503 the guards answer carry it too.
    app.add_middleware(SecurityHeaders, docs_paths=frozenset(p for p in docs_pages if p))
    return app
