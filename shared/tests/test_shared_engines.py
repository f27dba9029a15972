"""Every SQLAlchemy engine the product builds keeps statement parameters out of its errors:
they are built in one place, and that place hides them."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from opd_shared.database import POOLS, new_engine, service_engine
from opd_shared.settings import ServiceSettings

ROOT = Path(__file__).parents[2]
FACTORY = ROOT / "shared" / "opd_shared" / "database.py"


class AllocatorLike(ServiceSettings):
    service: ClassVar[str] = "allocator"  # shared tests import no service


def _product_sources() -> list[Path]:
    """Services, shared code, benchmarks and operators' tools; not the tests."""
    return [path for top in ("shared", "services", "ops", "deploy")
            for path in (ROOT / top).glob("**/*.py")
            if "tests" not in path.relative_to(ROOT).parts]


def test_engines_are_built_only_by_the_shared_factory():
    builders = [path.relative_to(ROOT) for path in _product_sources()
                if path != FACTORY and "create_async_engine(" in path.read_text()]

    assert builders == []


def test_the_shared_factory_hides_parameters():
    engine = new_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")  # never connects

    assert engine.sync_engine.hide_parameters is True


def test_pool_sizes_are_decided_only_by_the_shared_factory():
    """Benchmarks choose their own (they measure); every service process takes POOLS."""
    sizers = [path.relative_to(ROOT) for path in _product_sources()
              if path != FACTORY and "bench" not in path.relative_to(ROOT).parts
              and ("pool_size=" in path.read_text() or "max_overflow=" in path.read_text())]

    assert sizers == []


def test_a_services_engine_is_pooled_as_the_shared_table_says_unless_overridden():
    sized = AllocatorLike(_env_file=None)  # type: ignore[call-arg]
    resized = AllocatorLike(_env_file=None, db_pool_size=3)  # type: ignore[call-arg]

    default, chosen = service_engine(sized), service_engine(resized)

    assert (default.pool.size(), default.pool._max_overflow) == (  # type: ignore[attr-defined]
        POOLS["allocator"].size, POOLS["allocator"].overflow)
    assert (chosen.pool.size(), chosen.sync_engine.hide_parameters) == (3, True)
