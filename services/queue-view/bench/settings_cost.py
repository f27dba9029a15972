"""What queue-view's applying connection's settings, or a change of its schema, cost
PostgreSQL, both sides applied batch by batch in turns in one process
(`opd_shared.readmodel.settings_cost` says how and why; `apply_cost.py` here, how queue-view
applies a batch).

`uv run --no-sync python services/queue-view/bench/settings_cost.py --a planned-once
--b planned-once [--a-sql "CREATE INDEX ..."] [--batches 300]`
"""

from __future__ import annotations

from apply_cost import queue_view  # this directory's

from opd_shared.readmodel.settings_cost import main

if __name__ == "__main__":
    main(queue_view)
