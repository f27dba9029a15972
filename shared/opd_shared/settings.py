"""Settings every service shares; each service extends `ServiceSettings` with its own.

This is the only module that reads the environment (variables prefixed `OPD_`).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from opd_shared.production import production_problems
from opd_shared.topology import Topology

__all__ = ["BatchConsumerSettings", "ReadModelSettings", "ServiceSettings", "batch_max_field",
           "batch_window_field", "cpu_niceness_field"]

ADMIN_KEY_MIN_LENGTH = 32
# 32 random hex digits show about 15 different ones, fewer than 8 once in 30 million;
# "aaaa...", "abab..." or "passwordpassword..." show 1, 2 or 7.
ADMIN_KEY_MIN_DISTINCT = 8


def cpu_niceness_field(default: int) -> Any:
    return Field(default, ge=0, le=19, description="Added to a service process's nice value "
                 "when it starts: on a machine the services share, a busy CPU finishes the "
                 "bookings inside the allocator first, takes in new ones at the gateway next "
                 "and runs the read models with what is left, so displays catch up a moment "
                 "later instead of bookings waiting; 0 leaves it")


class ServiceSettings(BaseSettings):
    # Inputs stay out of error messages: a refused start prints why, not the passwords.
    model_config = SettingsConfigDict(env_prefix="OPD_", env_file=".env", extra="ignore",
                                      hide_input_in_errors=True)

    amqp_url: str = Field(
        "amqp://guest:guest@127.0.0.1:5672/", description="RabbitMQ connection URL; for a "
        "cluster, one URL per node, comma-separated: each connection attempt goes to the next"
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
    command_queues: int = Field(
        1, ge=0, le=256, description="Queues that carry the partitions' commands, queue q the "
        "partitions p % command_queues == q; 0: one per partition. Fewer queues put more "
        "commands in each message under load (docs/adr/0010); more let more allocator "
        "processes work at once (deploy/k8s sets 2). At most `partitions`. The gateway and "
        "the allocator refuse to start while the broker holds command queues of another "
        "value; changing it: docs/OPERATIONS.md"
    )
    timezone: str = Field("Asia/Kolkata", description="The hospital's local time zone")
    admin_key: SecretStr | None = Field(
        None, description="Bootstrap admin API key (make run generates one into .env)"
    )
    auth_failures_per_minute: int = Field(
        30, ge=1, le=10_000, description="Failed keys (unknown, revoked, malformed) one client "
        "address may send a minute before it is refused with 429 without a look-up"
    )
    key_cache_entries: int = Field(
        10_000, ge=10, le=1_000_000, description="Keys remembered for a few seconds, known "
        "ones and unknown ones apart (a flood of made-up keys cannot push real ones out); "
        "measured: about 500 bytes a known key, 300 an unknown one"
    )
    access_timeout_seconds: float = Field(
        1.0, gt=0, le=30, description="Longest wait to connect to, or hear from, the keys' "
        "database; past it a request is refused with 503, not left hanging"
    )
    daily_bookings_online: int = Field(
        20_000, ge=0, description="Bookings a day an online key may make unless it has its "
        "own quota (per gateway process; 0: no limit)"
    )
    daily_bookings_partner: int = Field(
        2_000, ge=0, description="Bookings a day a partner key may make unless it has its "
        "own quota (per gateway process; 0: no limit)"
    )
    open_reads: bool = Field(
        False, description="Let kiosks and dashboards read without a key (never names or phones)"
    )
    retention_days: int = Field(
        90, ge=1, le=3650, description="Days after a token's visit day before `make purge` "
                                       "replaces its patient's name, phone and notes"
    )
    log_level: str = Field("INFO", description="Least severe log line written: DEBUG, INFO, "
                                               "WARNING or ERROR")
    log_json: bool = Field(False, description="One JSON object per log line, with the "
                                              "request's correlation id")
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
    db_pool_size: int | None = Field(None, ge=1, le=100, description="Connections a process "
                                     "keeps to its own database; unset: opd_shared.database.POOLS")
    readiness_timeout_seconds: float = Field(2.0, gt=0, le=30, description="Per check of /readyz")
    retry_after_seconds: int = Field(5, ge=1, le=300, description="Retry-After of a 503 /readyz")
    gc_young_threshold: int = Field(
        50_000, ge=100, le=10_000_000, description="Net new objects between two young "
        "garbage collections of a service process (CPython's default: 700); see "
        "opd_shared.heap for the measurements"
    )
    cpu_niceness: int = cpu_niceness_field(0)

    service: ClassVar[str] = "opd"  # each service names itself; its database is named after it

    @field_validator("admin_key")
    @classmethod
    def _admin_key_is_strong(cls, key: SecretStr | None) -> SecretStr | None:
        """The admin key opens everything; a guessable one is refused before anything starts."""
        value = key.get_secret_value() if key else ""
        if not value:
            return None  # unset (or set empty): no bootstrap admin
        if len(value) < ADMIN_KEY_MIN_LENGTH or len(set(value)) < ADMIN_KEY_MIN_DISTINCT:
            raise ValueError(
                f"OPD_ADMIN_KEY is too weak: use at least {ADMIN_KEY_MIN_LENGTH} characters "
                f"with at least {ADMIN_KEY_MIN_DISTINCT} different ones, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`")
        return key

    @model_validator(mode="after")
    def _command_queues_carry_partitions(self) -> ServiceSettings:
        if self.command_queues > self.partitions:
            raise ValueError(f"OPD_COMMAND_QUEUES={self.command_queues} is more than "
                             f"OPD_PARTITIONS={self.partitions}: a queue would carry nothing")
        return self

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
        return Topology(prefix=self.namespace, partitions=self.partitions,
                        queues=self.command_queues)


def batch_max_field(default: int) -> Any:  # one meaning and bound; each service's default
    return Field(default, ge=1, le=1000, description="Most deliveries in one batch, handled "
                 "in one transaction (twice as many are prefetched)")


def batch_window_field(default_seconds: float) -> Any:
    return Field(default_seconds, ge=0, le=1, description="How long after a batch's first "
                 "delivery others may still join it; a full batch is handled at once")


class BatchConsumerSettings(ServiceSettings):
    """A service that consumes its queue in batches (`opd_shared.messaging`)."""

    batch_max: int = batch_max_field(200)
    # A read model's transaction costs ~900 µs of CPU however few events it carries:
    # 20 ms made one of each relay message at 1,000 bookings/s, 100 ms takes about three
    # (queue-view's bench/window_cost.py: 150 -> 83 µs an event; issue #13).
    batch_window_seconds: float = batch_window_field(0.100)
    db_retry_max_seconds: float = Field(
        10.0, gt=0, le=300, description="Longest pause between tries of a batch while the "
        "database is unavailable (the batch waits unacknowledged meanwhile)")


class ReadModelSettings(BatchConsumerSettings):
    """A read model (queue-view, analytics, notifier): 100 ms later on screen, far less CPU."""

    # Yields the CPU to the booking path on a machine both share (one process's nice value;
    # in containers, each its own cgroup, docker-compose's cpu_shares do it instead).
    cpu_niceness: int = cpu_niceness_field(10)
