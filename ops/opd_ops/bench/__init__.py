"""The morning-rush benchmark: `uv run python -m opd_ops.bench --help`."""
