"""The read models' kit: what queue-view and analytics both do with the allocator's events.

- `tables`: the snapshot columns of doctors, slots and tokens, the type map and the
  naming convention, for each read model's own tables (and `table_of`, a model's table);
- `dedupe`: the applied-events key columns, and `claim`, which turns a batch into the
  events nobody applied before and the per-event answers its consumer acks by;
- `upsert`: the newest snapshot per record wins (`newest`), and rows from snapshots;
- `arrays`: a batch's rows written in one execution per table, as one array per column or
  one array of the table's records (`replacing` rows, guarded by `version` or not, `adding`
  counts, `ignoring` repeats);
- `together`: several tables' inserts, as records, in one statement (`Together`), with
  further WITH queries and a query of the caller's reading what they returned.
- `driver`: a batch's transaction and statements on the pooled connection's asyncpg
  connection (`batch_transaction`, `driver_connection`, `Statement`), without SQLAlchemy's
  session and result layers, which cost a transaction more CPU than its statements' work.
- `planning`: the connections a consumer applies on when each of its batch's statements
  reads tables only through an index (`applying_sessions`): planned once, sequential scans
  off (analytics, the notifier).

What is a read model's own stays with it: its tables, its projections (queue-view's
per-doctor progress and rebuild, analytics' roll-ups and audit trail). Progress and rebuild
are queue-view's alone: analytics keeps no per-doctor progress table, and adding one would
be a schema change.
"""

from opd_shared.readmodel.arrays import (
    ArrayInsert,
    adding,
    column_arrays,
    ignoring,
    one_of,
    replacing,
)
from opd_shared.readmodel.dedupe import Claimed, EventKeyColumns, claim, first_copies
from opd_shared.readmodel.tables import (
    TYPES,
    DoctorColumns,
    SlotColumns,
    TokenColumns,
    queue_order,
    read_model_metadata,
    table_of,
)
from opd_shared.readmodel.together import Together
from opd_shared.readmodel.upsert import (
    keep_newest_snapshots,
    newest,
    snapshot_columns,
    snapshot_row,
    upsert_newest,
)

__all__ = [
    "TYPES", "ArrayInsert", "Claimed", "DoctorColumns", "EventKeyColumns", "SlotColumns",
    "Together", "TokenColumns", "adding", "claim", "column_arrays", "first_copies",
    "ignoring", "keep_newest_snapshots", "newest", "one_of", "queue_order",
    "read_model_metadata", "replacing", "snapshot_columns", "snapshot_row", "table_of",
    "upsert_newest",
]
