"""What notifier's consumer spends per event by batch window, events trickling in as under
load (`opd_shared.readmodel.window_cost` says how and why; `apply_cost.py` here, how notifier
applies a batch).

`uv run --no-sync python services/notifier/bench/window_cost.py [--window 0.1 --rate 450
--per-message 21 --seconds 20]`
"""

from __future__ import annotations

from apply_cost import notifier  # this directory's

from opd_shared.readmodel.window_cost import main

if __name__ == "__main__":
    main(notifier)
