"""The allocator's pure domain imports the vocabulary; that must not bring pydantic along."""

from __future__ import annotations

import subprocess
import sys

LIBRARIES = {"pydantic", "sqlalchemy", "aio_pika", "fastapi"}


def _modules_after(statement: str) -> set[str]:
    code = f"{statement}; import sys; print(' '.join(sorted(sys.modules)))"
    return set(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                              text=True).stdout.split())


def test_the_vocabulary_loads_no_library():
    assert LIBRARIES & _modules_after("import opd_contracts.vocabulary") == set()


def test_the_allocators_domain_loads_no_library():
    loaded = _modules_after("import allocator.domain.schedule, allocator.domain.transfer")

    assert LIBRARIES & loaded == set()


def test_every_contract_name_is_still_importable_from_the_package():
    import opd_contracts

    assert all(getattr(opd_contracts, name) is not None for name in opd_contracts.__all__)
