"""Interop's settings: where the gateway and queue-view answer, and the ABDM side.

The only place this service reads the environment (through pydantic-settings).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field, SecretStr, model_validator

from opd_shared.settings import ServiceSettings

__all__ = ["CounterTarget", "InteropSettings"]


class CounterTarget(BaseModel):
    """Where a Scan & Share at one counter books: one doctor, or the doctors of one
    specialization (the earliest slot with room among them)."""

    doctor_id: int | None = Field(None, ge=1)
    specialization: str | None = Field(None, min_length=1, max_length=120)

    @model_validator(mode="after")
    def _one_target(self) -> CounterTarget:
        if (self.doctor_id is None) == (self.specialization is None):
            raise ValueError("a counter books at a doctor_id or a specialization, one of them")
        return self


class InteropSettings(ServiceSettings):
    service: ClassVar[str] = "interop"

    gateway_url: str = Field("http://127.0.0.1:8000", description="The booking gateway: "
                             "every FHIR and ABDM write goes through its public API")
    queue_view_url: str = Field("http://127.0.0.1:8001", description="queue-view: every "
                                "FHIR read comes from its public API")
    upstream_timeout_seconds: float = Field(
        10.0, gt=0, le=60, description="Longest wait for the gateway or queue-view (the "
        "gateway itself answers 202 after OPD_REPLY_TIMEOUT_SECONDS)")
    fhir_system_base: str = Field(
        "https://opd-tokens.example.org/fhir", description="Base of this product's FHIR "
        "naming systems and extensions (token numbers, places, sources); a hospital may "
        "publish its own")
    abdm_gateway_url: str = Field(
        "https://dev.abdm.gov.in/gateway", description="The ABDM gateway (sandbox by "
        "default): where the session is asked for and on-share is sent")
    abdm_client_id: str | None = Field(None, description="The HIP's ABDM client id")
    abdm_client_secret: SecretStr | None = Field(None, description="Its ABDM client secret")
    abdm_cm_id: str = Field("sbx", description="X-CM-ID of the consent manager (sbx: sandbox)")
    abdm_hip_id: str | None = Field(None, description="This facility's HIP id (HFR id); a "
                                    "share naming another in X-HIP-ID is refused")
    abdm_jwks: str | None = Field(
        None, description="The ABDM gateway's signing keys as a JWKS JSON document (from "
        "its /v0.5/certs); shares are refused while it is unset")
    abdm_jwt_issuer: str | None = Field(None, description="When set, the gateway's access "
                                        "token must name this issuer (iss)")
    abdm_api_key: SecretStr | None = Field(
        None, description="The API key Scan & Share books with: a desk key with a channel of "
        "its own (e.g. --role desk --channel abdm-scan-share)")
    abdm_counters: dict[str, CounterTarget] = Field(
        default_factory=dict, description="Counter code (the `code` of the facility's QR, "
        "shared as hipCode) -> {doctor_id} or {specialization}, as JSON")
