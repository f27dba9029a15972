"""Command queues are checked against the partitions when the settings are read."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from opd_shared.settings import ServiceSettings


def test_more_queues_than_partitions_is_refused_before_anything_starts():
    with pytest.raises(ValidationError, match="OPD_COMMAND_QUEUES=8 is more than"):
        ServiceSettings(_env_file=None, partitions=4, command_queues=8)  # type: ignore[call-arg]
    assert ServiceSettings(_env_file=None, partitions=4,  # type: ignore[call-arg]
                           command_queues=4).topology.command_queues == 4
