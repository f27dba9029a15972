"""The FHIR models every resource is built and checked with: `fhir.resources`' R4B package.

R4 (4.0.1) itself is not in any `fhir.resources` release that runs on pydantic 2: 6.x (the
last with R4 as a package) needs pydantic 1, and 7.x/8.x ship R5 by default with R4B (4.3.0)
and STU3 beside it. R4B is R4's technical correction: Practitioner, PractitionerRole,
Schedule, Slot, Appointment, Bundle, OperationOutcome and CapabilityStatement have the same
elements and cardinalities in both, so a resource valid here is valid R4; the
CapabilityStatement says fhirVersion 4.0.1. The library checks structure, types, required
elements and unknown elements (refused); value sets (a status code) are this package's
mapping tables' job, and the tests check them against R4's.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir_core.fhirabstractmodel import FHIRAbstractModel

__all__ = ["FHIR_VERSION", "MEDIA_TYPE", "checked", "parsed"]

FHIR_VERSION = "4.0.1"
MEDIA_TYPE = "application/fhir+json"


def checked(resource: dict[str, Any]) -> dict[str, Any]:
    """`resource` validated by its FHIR model, as the JSON the model writes (no empty
    elements); a mapping bug raises here, before anything is answered."""
    model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def parsed(resource_type: str, body: Any) -> FHIRAbstractModel:
    """A client's resource, validated (pydantic's ValidationError when it is not one)."""
    if not isinstance(body, dict) or body.get("resourceType") != resource_type:
        raise ValueError(f"the body must be a FHIR {resource_type} (resourceType "
                         f"\"{resource_type}\")")
    return get_fhir_model_class(resource_type).model_validate(body)
