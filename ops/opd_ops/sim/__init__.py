"""A simulated OPD day through the public HTTP API: `python -m opd_ops.simulate`.

scenario (what the day looks like) -> plan (who comes when, seeded) -> clock (simulated
minutes, paced to the wall clock or as fast as possible) -> actors (patients, doctors, the
desk, a late doctor) writing through the gateway -> figures (what the answers showed) ->
check (the same figures read back from analytics)."""
