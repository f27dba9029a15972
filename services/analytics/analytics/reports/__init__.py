"""Management reports over the roll-ups: one module per report, each one or two queries."""
