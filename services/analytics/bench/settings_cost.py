"""What analytics's applying connection's settings cost PostgreSQL, both applied batch by batch in
turns in one process (`opd_shared.readmodel.settings_cost` says how and why; `apply_cost.py`
here, how analytics applies a batch).

`uv run --no-sync python services/analytics/bench/settings_cost.py [--a service --b by-index
--batches 300 | --same]`
"""

from __future__ import annotations

from apply_cost import analytics  # this directory's

from opd_shared.readmodel.settings_cost import main

if __name__ == "__main__":
    main(analytics)
