"""Where each database keeps patients' names, phones, notes and ABHA numbers, and the SQL
that blanks them.

A token is due once its slot's date is before the cutoff. Each database judges by its own
`tokens` and `slots` (all three have both), so a JSON document is redacted token by token:
an event carrying a due token and a recent one keeps the recent one whole. Every statement
touches one batch of rows, found by key order (keyset), so none grows with the table.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DATABASES", "PURGED", "Columns", "Dated", "Document"]

PURGED = "(purged)"


def _due(token_id: str) -> str:
    return ("EXISTS (SELECT 1 FROM tokens k JOIN slots s ON s.id = k.slot_id"
            f" WHERE k.id = {token_id} AND s.date < $1)")


@dataclass(frozen=True)
class Columns:
    """A table of tokens with the patient's data in columns of its own."""

    table: str = "tokens"
    start: object = -(2**63)

    @property
    def label(self) -> str:
        return self.table

    @property
    def select(self) -> str:
        return (f"SELECT k.id FROM {self.table} k JOIN slots s ON s.id = k.slot_id"
                " WHERE k.id > $2 AND s.date < $1 AND (k.patient_name <> $4"
                " OR k.patient_phone IS NOT NULL OR k.notes IS NOT NULL"
                " OR k.abha_number IS NOT NULL)"
                " ORDER BY k.id LIMIT $3")

    @property
    def update(self) -> str:
        return (f"UPDATE {self.table} k SET patient_name = $3, patient_phone = NULL, notes = NULL,"
                " abha_number = NULL"
                " FROM slots s WHERE s.id = k.slot_id AND s.date < $1"
                " AND k.id = ANY($2::bigint[])")


@dataclass(frozen=True)
class Document:
    """A JSON column holding token records: a list of them at `path`, or one (`many=False`).
    Read and redacted as jsonb, whether the column is jsonb or json (the allocator's outbox
    and inbox, migration 0016: a json column takes the jsonb written back by assignment)."""

    table: str
    key: str
    key_type: str
    column: str
    path: str
    many: bool = True

    @property
    def label(self) -> str:
        return f"{self.table}.{self.column}"

    @property
    def start(self) -> object:
        return -(2**63) if self.key_type == "bigint" else "00000000-0000-0000-0000-000000000000"

    def _elements(self, row: str) -> str:
        found = f"{row}.{self.column}::jsonb #> '{{{self.path}}}'"
        kind, wrapped = ("array", found) if self.many else ("object", f"jsonb_build_array({found})")
        return (f"jsonb_array_elements(CASE WHEN jsonb_typeof({found}) = '{kind}'"
                f" THEN {wrapped} ELSE '[]'::jsonb END)")

    @property
    def select(self) -> str:
        unpurged = ("(coalesce(x.e->>'patient_name' <> $4, false)"
                    " OR x.e->>'patient_phone' IS NOT NULL OR x.e->>'notes' IS NOT NULL"
                    " OR x.e->>'abha_number' IS NOT NULL)")
        due = _due("(x.e->>'id')::bigint")
        return (f"SELECT r.{self.key} FROM {self.table} r WHERE r.{self.key} > $2::{self.key_type}"
                f" AND EXISTS (SELECT 1 FROM {self._elements('r')} AS x(e)"
                f" WHERE {unpurged} AND {due}) ORDER BY r.{self.key} LIMIT $3")

    @property
    def update(self) -> str:
        blank = ("jsonb_set(jsonb_set(jsonb_set(jsonb_set(x.e, '{patient_name}',"
                 " to_jsonb($3::text), false), '{patient_phone}', 'null', false),"
                 " '{notes}', 'null', false), '{abha_number}', 'null', false)")
        due = _due("(x.e->>'id')::bigint")
        agg = (f"jsonb_agg(CASE WHEN {due} THEN {blank} ELSE x.e END ORDER BY x.n)"
               + ("" if self.many else "->0"))
        return (f"UPDATE {self.table} r SET {self.column} = jsonb_set(r.{self.column}::jsonb,"
                f" '{{{self.path}}}', (SELECT {agg} FROM {self._elements('r')}"
                f" WITH ORDINALITY AS x(e, n)))"
                f" WHERE r.{self.key} = ANY($2::{self.key_type}[])")


@dataclass(frozen=True)
class Dated:
    """A table of one day's rows that are of no use once that day is past: its rows are
    deleted whole. (The statements take the same parameters as the others: $4 and $3, the
    placeholder name, are only checked to be there.)"""

    table: str
    key: str
    key_type: str
    day: str  # SQL for the row's day

    @property
    def label(self) -> str:
        return self.table

    @property
    def start(self) -> object:
        return -(2**63) if self.key_type == "bigint" else "00000000-0000-0000-0000-000000000000"

    @property
    def select(self) -> str:
        return (f"SELECT {self.key} FROM {self.table} WHERE {self.key} > $2::{self.key_type}"
                f" AND {self.day} < $1 AND $4::text IS NOT NULL ORDER BY {self.key} LIMIT $3")

    @property
    def update(self) -> str:
        return (f"DELETE FROM {self.table} WHERE {self.key} = ANY($2::{self.key_type}[])"
                f" AND {self.day} < $1 AND $3::text IS NOT NULL")


# Analytics' tokens table never held names or phones; its facts' snapshots may (older rows).
DATABASES: dict[str, tuple[Columns | Document | Dated, ...]] = {
    # The inbox answers a repeated command with its first reply; no client repeats one
    # after the retention, so a command decided before the cutoff is forgotten whole (else
    # the table grows by a row a booking for ever) and the rest are redacted token by token.
    "allocator": (Columns(), Dated("inbox", "command_id", "uuid",
                                   "(decided_at AT TIME ZONE 'UTC')::date"),
                  Document("inbox", "command_id", "uuid", "reply", "result", False),
                  Document("outbox", "id", "bigint", "event", "tokens")),
    "queue_view": (Columns(),),
    "analytics": (Document("event_facts", "event_id", "uuid", "payload", "tokens"),),
    # Scan & Share: the shares (ABHA ids) first, then the visits they point to.
    "interop": (Dated("abdm_shares", "request_id", "uuid",
                      "(received_at AT TIME ZONE 'UTC')::date"),
                Dated("abdm_visits", "id", "bigint", "day")),
}
