"""`POST /api/v1/tokens`, the product's hot path, answered without FastAPI's general
dependency solver when the request is a plain one, with the same answers.

Why: FastAPI solves a route's dependencies anew on every request, recursively (the route,
its router's `Idempotency-Key` dependency, the key check), looking at each parameter's
type on the way (whether it is a sequence, a model, a form) and trying path, query, header
and cookie parameters at every level: twelve such tries per booking, most of them empty.
Everything it finds out depends on the route alone, so here it is found out once.
Measured with bench/path_profile.py (3,000 bookings, client and ASGI transport included,
median of 3 runs alternated with the build before, load average 5.6-7.7 on 2 cores):
642 us of CPU a booking before, 469 after; less the client's ~166 us, the gateway's own
476 -> 303 us.

What stays FastAPI's: the route is declared as any other (its parameters, the key check as
the documented bearer scheme, the router's header), so the OpenAPI document is what
FastAPI makes of it; and every request that is not plain is handed to FastAPI's own
handler before anything was done that could not be done twice: a body that is not
`application/json` or does not parse, an empty one, a query or header parameter FastAPI
would refuse, FastAPI's telemetry on, a dependency overridden. A plain request is answered
in FastAPI's order: the key check (401/403/429), then validation (422, the errors FastAPI
would list: only the body's can remain), then the route. A valid body is parsed and
validated in one pass (`_valid_at_once`); any other takes FastAPI's two steps.

Built for one shape of route, checked when the route is built (`ValueError` otherwise), so
a parameter added to the route later cannot be skipped here unnoticed: dependencies that
take only header parameters, and one key check (`opd_shared.access.guard`); query
parameters; one JSON body; the request.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any, Optional

from fastapi import Request, Response
from fastapi import routing as fastapi_routing
from fastapi._compat import ModelField
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.telemetry import get_telemetry_data
from pydantic import BaseModel, ValidationError
from starlette.datastructures import Headers

from opd_shared.access.guard import Requirement

__all__ = ["HotRoute"]

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class HotRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        general = super().get_route_handler()
        dependant = _as_included(self)
        headers = _header_dependencies(dependant)
        (check,) = [d for d in dependant.dependencies if isinstance(d.call, Requirement)]
        body_field = self.body_field
        if body_field is None or len(dependant.body_params) != 1:
            raise ValueError(f"{self.path}: the hot path takes exactly one JSON body")
        model = _plain_model(self.path, body_field)
        query_fields = dependant.query_params
        assert dependant.call is not None and dependant.request_param_name is not None
        endpoint, request_name = dependant.call, dependant.request_param_name
        assert check.call is not None and check.name is not None
        who, caller_name = check.call, check.name
        defaults = {field.name: field.default for field in query_fields}

        async def handler(request: Request) -> Response:
            if get_telemetry_data() is not None or request.app.dependency_overrides:
                return await general(request)
            if request.headers.get("content-type") != "application/json":
                return await general(request)
            values = dict(defaults)
            if request.scope["query_string"]:
                values, errors = request_params_to_args(query_fields, request.query_params)
                if errors:
                    return await general(request)
            for call, readers in headers:
                given = {}
                for read in readers:
                    value = read(request.headers)
                    if value is _INVALID:
                        return await general(request)
                    given.update(value)
                await call(**given)
            try:
                raw = await request.body()
            except Exception:  # FastAPI's answer: 400 for a body lost
                return await general(request)
            body = _valid_at_once(model, raw)
            if body is None:  # not a valid booking: parsed, checked and refused as FastAPI does
                try:
                    data = await request.json() if raw else None
                except Exception:  # FastAPI's answer: 422 for bad JSON
                    return await general(request)
                if data is None:  # empty, or `null`: FastAPI's own error for each
                    return await general(request)
            values[caller_name] = await who(request)  # 401, 403, 429: raised, before any 422
            if body is None:
                body, errors = body_field.validate(data, {}, loc=("body",))
                if errors:
                    raise RequestValidationError(errors, body=data)
            values[body_field.name], values[request_name] = body, request
            response = await endpoint(**values)
            if not isinstance(response, Response):  # FastAPI would serialize it; not built here
                raise TypeError(f"{self.path}: the hot path's route must return a Response")
            return response

        return handler


def _as_included(route: APIRoute) -> Dependant:
    """The dependencies FastAPI solves for `route` as included in the app (the including
    routers' own added), which is how FastAPI builds the handler being replaced."""
    context = fastapi_routing._effective_route_context_var.get()
    if context is not None and context.original_route is route:
        dependant: Dependant = context.dependant
        return dependant
    return route.dependant


def _plain_model(path: str, field: ModelField) -> type[BaseModel]:
    """The body's model, when the body is one model and nothing more (no constraints or
    alias of its own), so that validating the JSON as the model is what FastAPI does."""
    info = field.field_info
    model = info.annotation
    if (not (isinstance(model, type) and issubclass(model, BaseModel)) or info.metadata
            or info.alias not in (None, field.name)):
        raise ValueError(f"{path}: the hot path's body is one pydantic model, as it is")
    return model


def _valid_at_once(model: type[BaseModel], raw: bytes) -> BaseModel | None:
    """The body validated straight from its JSON, or None: anything it refuses takes
    FastAPI's way (`json.loads`, then the model on the Python objects), whose errors and
    order of refusals are the answer. What the JSON pass accepts, the two steps accept as
    the same values: both validate in pydantic's lax mode, and JSON gives only the types
    `json.loads` makes; the JSON pass is the stricter parser (no NaN, UTF-8 only) and
    refuses to the long way. tests/test_gateway_hot_route.py compares every answer with
    FastAPI's own.

    Parsing and validating in one pass in pydantic's core costs 2.6 us where the two steps
    cost 5-13 (timeit, a plain booking, load average 4.5 on 2 cores, 2026-12-06);
    bench/app_cost.py, 8 runs alternated with the build before (with the counts' sweep,
    opd_shared.access.counting), load average 2.6-6: 198 -> 183 us a booking (medians;
    the best blocks' 179 -> 164)."""
    try:
        return model.model_validate_json(raw)
    except ValidationError:
        return None


_INVALID = object()  # a header FastAPI would refuse


def _header_reader(path: str, field: ModelField) -> Callable[[Headers], Any]:
    """What FastAPI makes of a header parameter that is a plain string with an explicit
    alias (`{name: value}`, or `_INVALID`), without looking at its type on every request:
    the first such header validated as the parameter's type, or, without one, the
    parameter's default as FastAPI applies it."""
    info = field.field_info
    if info.alias is None or info.annotation not in (str, str | None, Optional[str]):  # noqa: UP045
        raise ValueError(f"{path}: the hot path reads only headers declared as a str or "
                         "str | None with an alias")
    alias, loc = info.alias, ("header", info.alias)

    def read(headers: Headers) -> Any:
        value = headers.get(alias)
        if value is None:
            given, errors = request_params_to_args([field], headers)
        else:
            valid, errors = field.validate(value, {}, loc=loc)
            given = {field.name: valid}
        return _INVALID if errors else given

    return read


def _header_dependencies(dependant: Dependant) -> list[tuple[Any, list[Any]]]:
    """The dependencies that only read headers, each as its call and its header fields;
    `ValueError` for a route of another shape."""
    if (dependant.path_params or dependant.header_params or dependant.cookie_params
            or dependant.background_tasks_param_name or dependant.response_param_name
            or dependant.security_scopes_param_name or dependant.websocket_param_name
            or dependant.http_connection_param_name):
        raise ValueError(f"{dependant.path}: the hot path takes no path, header or cookie "
                         "parameters of its own, nor FastAPI's special ones")
    found = []
    for sub in dependant.dependencies:
        if isinstance(sub.call, Requirement) and not sub.dependencies:
            continue
        if (sub.dependencies or sub.path_params or sub.query_params or sub.cookie_params
                or sub.body_params or sub.request_param_name or not sub.header_params
                or sub.name is not None):
            raise ValueError(f"{dependant.path}: {sub.call} is neither the key check nor "
                             "a dependency that only reads headers")
        if not inspect.iscoroutinefunction(sub.call):
            raise ValueError(f"{dependant.path}: {sub.call} is not async (FastAPI would run "
                             "it in a thread)")
        found.append((sub.call, [_header_reader(str(dependant.path), f)
                                 for f in sub.header_params]))
    if sum(isinstance(sub.call, Requirement) for sub in dependant.dependencies) != 1:
        raise ValueError(f"{dependant.path}: the hot path takes exactly one key check")
    return found
