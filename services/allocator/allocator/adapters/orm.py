"""Tables of the allocator's database, and the mapping of the pure domain onto them.

The domain classes stay plain dataclasses (classical mapping, as in cosmicpython), so the
domain never imports SQLAlchemy. A CHECK constraint repeats the capacity rule in the
database itself: even a bug in the domain cannot commit an over-allocated slot.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Sequence,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    Uuid,
    any_,
    bindparam,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import registry, relationship
from sqlalchemy.orm.instrumentation import ClassManager, manager_of_class
from sqlalchemy.sql.elements import ColumnElement

from allocator.domain.model import Doctor, Slot, Token
from opd_contracts import bounds
from opd_contracts.vocabulary import Source, TokenStatus

__all__ = ["any_of", "doctors", "inbox", "map_domain", "metadata", "outbox", "partition_owners",
           "record_ids", "slots", "token_counters", "tokens"]

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


def _enum(cls: type) -> Enum:
    return Enum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])

# Slot and token ids are `record_ids.nextval * partitions + partition` (see topology).
record_ids = Sequence("record_ids", metadata=metadata)

doctors = Table(
    "doctors", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("name", String(bounds.NAME_MAX), nullable=False),
    Column("specialization", String(bounds.NAME_MAX), nullable=False, index=True),
    Column("room", String(bounds.ROOM_MAX)),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_event_seq", BigInteger, nullable=False, default=0),
)

slots = Table(
    "slots", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("doctor_id", BigInteger, ForeignKey("doctors.id"), nullable=False),
    Column("date", Date, nullable=False),
    Column("start_time", Time, nullable=False),
    Column("end_time", Time, nullable=False),
    Column("max_capacity", Integer, nullable=False),
    Column("current_count", Integer, nullable=False, default=0),
    Column("overflow_count", Integer, nullable=False, default=0),
    Column("last_sequence", Integer, nullable=False, default=0),
    Column("is_active", Boolean, nullable=False, default=True),
    CheckConstraint("current_count <= max_capacity + overflow_count", name="capacity"),
    CheckConstraint("current_count >= 0 AND overflow_count >= 0", name="counts"),
    CheckConstraint("start_time < end_time", name="times"),
    Index("ix_slots_doctor_date", "doctor_id", "date"),
    # What tokens' one foreign key refers to (migration 0011).
    UniqueConstraint("id", "doctor_id", name="uq_slots_id_doctor_id"),
)

tokens = Table(
    "tokens", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("token_number", String(40), nullable=False, unique=True),
    Column("patient_name", String(bounds.NAME_MAX), nullable=False),
    Column("patient_phone", String(bounds.PHONE_MAX)),
    Column("doctor_id", BigInteger, nullable=False),
    Column("slot_id", BigInteger, nullable=False),
    Column("source", _enum(Source), nullable=False),
    Column("status", _enum(TokenStatus), nullable=False),
    Column("priority_score", Integer, nullable=False),
    Column("sequence_number", Integer, nullable=False),
    Column("is_emergency", Boolean, nullable=False),
    Column("is_overflow", Boolean, nullable=False),
    Column("allocated_at", DateTime(timezone=True), nullable=False),
    Column("checked_in_at", DateTime(timezone=True)),
    Column("consultation_started_at", DateTime(timezone=True)),
    Column("completed_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("notes", Text),
    Column("moved_from_slot_id", BigInteger),
    Column("move_reason", Text),
    Column("overtaken_count", Integer, nullable=False, server_default="0"),
    Column("channel", String(bounds.CHANNEL_MAX)),
    Column("abha_number", String(bounds.ABHA_NUMBER_MAX)),
    Column("ticket", String(bounds.TICKET_MAX)),
    # Also what reads a slot's tokens (migration 0010: no index of slot_id alone, none of
    # the ticket: the allocator never looks a token up by it).
    UniqueConstraint("slot_id", "sequence_number", name="uq_tokens_slot_sequence"),
    # One foreign key, so one check a new token, and a token's doctor is its slot's
    # (migration 0011); the doctor is one through slots' own foreign key.
    ForeignKeyConstraint(["slot_id", "doctor_id"], ["slots.id", "slots.doctor_id"],
                         name="fk_tokens_slot_id_slots"),
)

token_counters = Table(
    "token_counters", metadata,
    Column("doctor_id", BigInteger, primary_key=True),
    Column("date", Date, primary_key=True),
    Column("last_number", Integer, nullable=False),
)

inbox = Table(
    "inbox", metadata,
    Column("command_id", Uuid, primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("reply", JSON, nullable=False),  # json: stored as written (migration 0016)
    Column("decided_at", DateTime(timezone=True), nullable=False),
)

outbox = Table(
    "outbox", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("partition", Integer, nullable=False),
    Column("routing_key", String(64), nullable=False),
    Column("event", JSON, nullable=False),  # json: stored as written (migration 0016)
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True)),
    Column("traceparent", String(55)),  # W3C: of the command's trace (opd_shared.tracing)
    Index("ix_outbox_unpublished", "partition", "id", postgresql_where="published_at IS NULL"),
)

# Who owns each partition, by epoch: see adapters/ownership.py.
partition_owners = Table(
    "partition_owners", metadata,
    Column("partition", Integer, primary_key=True, autoincrement=False),
    Column("epoch", BigInteger, nullable=False),
    Column("owner", String(200), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
)

_mapper_registry = registry(metadata=metadata)


def map_domain() -> None:
    """Map the domain classes once per process (idempotent)."""
    if _mapper_registry.mappers:
        return
    # The event seq stays out of the domain: the repository keeps it beside each schedule.
    _mapper_registry.map_imperatively(Doctor, doctors, exclude_properties=["last_event_seq"])
    _mapper_registry.map_imperatively(Token, tokens)
    _mapper_registry.map_imperatively(
        Slot, slots,
        # A slot's tokens are those of its id: the join stays on slot_id alone (the slot's
        # key), though the foreign key also holds the doctor, so loading a slot's tokens
        # reads `slot_id IN (...)` through uq_tokens_slot_sequence as before.
        # View-only: what a slot's tokens are is each token's own slot_id, which is written
        # with the token, so the collection itself never needs writing. Tracked for writing,
        # each append fired the save-update cascade into the session and the first change
        # after each commit copied the slot's whole list for its history (py-spy: 7.5% of
        # the allocator's CPU in the system bench); now an append's events add nothing to
        # the session and keep no history, and a new token joins the session with the
        # others of its round (repository.write, `Schedule.take_new_tokens`). A booking and
        # its bookkeeping over a lane's session: 44.9 -> 37.4 us (bench/record_writes_cost).
        properties={"tokens": relationship(
            Token, lazy="raise", order_by=tokens.c.sequence_number, viewonly=True,
            primaryjoin=slots.c.id == tokens.c.slot_id, foreign_keys=[tokens.c.slot_id])},
    )
    _construct_plainly(manager_of_class(Token))


class _Fields:
    """A plain object for a mapped dataclass's own `__init__` to fill (see below)."""


def _construct_plainly(manager: ClassManager) -> None:
    """A new instance of the mapped class gets its fields as a plain object would, straight
    into its `__dict__`, and not one instrumented attribute write at a time.

    Why: mapping instruments the dataclass's `__init__`, and each of its writes (a token has
    24 fields) went through the attribute's event machinery: py-spy put 14% of a round of
    28 bookings in the constructor (decide_bench's concurrent part). With snapshots read
    from the `__dict__` too (domain/model.py), `Schedule.book` over mapped records took 67
    us a booking where it took 161 (bench/book_cost.py, medians of 3 alternated runs of 7,
    load 6.9).

    What those writes recorded is nothing a new record needs: it is pending (it joins the
    session with the other new tokens of its round: repository.write), is
    written whole from its `__dict__` (record_writes) or by a flush's INSERT, which reads
    the `__dict__` too, and its changes are tracked from then on, as a loaded record's.
    Only for classes without relationships (a token): a relationship's collection must be
    the ORM's own, which only the instrumented write makes. The instance's state and the
    mapper's init event come first, as before, through the manager's private
    `_new_state_if_none` (its version is pinned by uv.lock;
    test_allocator_mapped_records fails if its meaning changes)."""
    if manager.mapper.relationships:
        raise ValueError(f"{manager.class_.__name__} has relationships: it needs the ORM's "
                         "instrumented __init__")
    original = manager.original_init
    assert original is not None  # a mapped dataclass has its own __init__
    new_state = manager._new_state_if_none
    on_init, on_failure = manager.dispatch.init, manager.dispatch.init_failure

    def __init__(self: object, *args: object, **kwargs: object) -> None:
        state = new_state(self)
        if not state:  # state already there: as the ORM's own __init__ does then
            original(self, *args, **kwargs)
            return
        on_init(state, args, kwargs)
        fields = _Fields()
        try:
            original(fields, *args, **kwargs)
        except BaseException:
            on_failure(state, args, kwargs)
            raise
        self.__dict__.update(fields.__dict__)

    __init__.__doc__ = original.__doc__
    manager.install_member("__init__", __init__)


def any_of(name: str, ids: Collection[int]) -> ColumnElement:
    """`= any_of(...)`: one array parameter for any number of ids, so the statement is
    prepared once whatever their number (an IN list would be a new statement each time)."""
    return any_(bindparam(name, sorted(ids), type_=ARRAY(BigInteger)))
