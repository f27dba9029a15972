"""The round's statements go to the driver with positional parameters (adapters/batch_io):
each array must land at the position of its name, and a `::` cast is not a parameter."""

from __future__ import annotations

from allocator.adapters import batch_io


def test_each_named_parameter_becomes_its_position_in_order():
    statement = batch_io._positional(
        "SELECT e::jsonb FROM unnest(CAST(:first AS text[]), CAST(:second AS int[])) AS x(e)"
        " WHERE :third = 1")
    assert statement.sql == ("SELECT e::jsonb FROM unnest(CAST($1 AS text[]),"
                             " CAST($2 AS int[])) AS x(e) WHERE $3 = 1")
    assert statement.names == ("first", "second", "third")


def test_the_whole_write_statement_numbers_every_array_once():
    statement = batch_io._write(tuple(batch_io._PARTS))
    assert ":" not in statement.sql.replace("::", "")
    assert len(statement.names) == len(set(statement.names))
    for position, name in enumerate(statement.names, start=1):
        assert f"CAST(${position} AS" in statement.sql, name
    assert {"o_event", "i_reply", "s_doctor", "tokens_new_id"} <= set(statement.names)
