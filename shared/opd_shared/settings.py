"""Settings every service shares; each service extends `ServiceSettings` with its own.

This is the only module that reads the environment (variables prefixed `OPD_`).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from opd_shared.production import production_problems
from opd_shared.topology import Topology

__all__ = ["ReadModelSettings", "ServiceSettings"]


class ServiceSettings(BaseSettings):
    # Inputs stay out of error messages: a refused start prints why, not the passwords.
    model_config = SettingsConfigDict(env_prefix="OPD_", env_file=".env", extra="ignore",
                                      hide_input_in_errors=True)

    amqp_url: str = Field(
        "amqp://guest:guest@127.0.0.1:5672/", description="RabbitMQ connection URL"
    )
    postgres_url: str = Field(
        "postgresql+asyncpg://postgres@127.0.0.1:5432",
        description="PostgreSQL server URL without a database; each service adds its own",
    )
    namespace: str = Field(
        "opd",
        pattern=r"^[a-z][a-z0-9_]{0,30}$",
        description="Prefix of every exchange, queue and database name of this deployment",
    )
    partitions: int = Field(
        16, ge=1, le=256, description="Command partitions, fixed for a deployment (ids use it)"
    )
    timezone: str = Field("Asia/Kolkata", description="The hospital's local time zone")
    admin_key: SecretStr | None = Field(
        None, description="Bootstrap admin API key (make run generates one into .env)"
    )
    open_reads: bool = Field(
        False, description="Let kiosks and dashboards read without a key (never names or phones)"
    )
    retention_days: int = Field(
        90, ge=1, le=3650, description="Days after a token's visit day before `make purge` "
                                       "replaces its patient's name, phone and notes"
    )
    log_level: str = "INFO"
    log_json: bool = False
    env: Literal["development", "production"] = Field(
        "development", description="production: refuse to start on the development "
                                   "defaults (guest:guest, trust, no admin key)"
    )
    api_docs: bool = Field(
        True, description="Serve /docs, /redoc and /openapi.json (and the gateway's "
                          "/asyncapi.json); off, they answer 404"
    )
    metrics_key: SecretStr | None = Field(
        None, description="When set, /metrics needs `Authorization: Bearer <this>`"
    )

    service: ClassVar[str] = "opd"  # each service names itself; its database is named after it

    @model_validator(mode="after")
    def _production_has_no_development_defaults(self) -> ServiceSettings:
        """Checked here, so every process (services and operators' tools) refuses alike."""
        if self.env != "production":
            return self
        defaults = {name: str(type(self).model_fields[name].default)
                    for name in ("amqp_url", "postgres_url")}
        key = self.admin_key.get_secret_value() if self.admin_key else None
        problems = production_problems(self.amqp_url, self.postgres_url, key, defaults)
        if problems:
            raise ValueError("OPD_ENV=production refuses to start: " + "; ".join(problems))
        return self

    @property
    def database_url(self) -> str:
        return f"{self.postgres_url.rstrip('/')}/{self.namespace}_{self.service}"

    @property
    def access_database_url(self) -> str:
        """API keys: one small database every HTTP service of the deployment reads."""
        return f"{self.postgres_url.rstrip('/')}/{self.namespace}_access"

    @property
    def topology(self) -> Topology:
        return Topology(prefix=self.namespace, partitions=self.partitions)


class ReadModelSettings(ServiceSettings):
    """How a read model (queue-view, analytics) consumes the allocator's events."""

    batch_max: int = Field(
        200, ge=1, le=1000, description="Most events applied in one transaction (a batch "
                                        "is what waits, up to this; twice as many unacked)"
    )
    batch_window_ms: float = Field(
        20.0, ge=0, le=1000, description="How long a batch waits for more events after its "
                                         "first: a little later on screen, far less CPU"
    )
    db_retry_max_seconds: float = Field(
        10.0, gt=0, description="Longest pause between tries of a batch while the database "
                                "is unavailable (the batch waits unacknowledged meanwhile)"
    )
