"""Every SQLAlchemy engine the product builds keeps statement parameters out of its errors:
they are built in one place, and that place hides them."""

from __future__ import annotations

from pathlib import Path

from opd_shared.database import new_engine

ROOT = Path(__file__).parents[2]
FACTORY = ROOT / "shared" / "opd_shared" / "database.py"


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
