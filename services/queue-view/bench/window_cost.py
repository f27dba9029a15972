"""What queue-view's consumer spends per event by batch window, events trickling in as under
load (`opd_shared.readmodel.window_cost` says how and why; `apply_cost.py` here, how queue-view
applies a batch).

`uv run --no-sync python services/queue-view/bench/window_cost.py [--window 0.1 --rate 450
--per-message 21 --seconds 20]`
"""

from __future__ import annotations

from apply_cost import queue_view  # this directory's

from opd_shared.readmodel.window_cost import main

if __name__ == "__main__":
    main(queue_view)
