"""docs/SETTINGS.md is what the settings classes say, and they say something about each knob."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from opd_ops.settings_reference import READERS, field_rows, render, settings_classes
from opd_shared.settings import ReadModelSettings

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "SETTINGS.md"


def every_settings_class() -> list[type]:
    return [*settings_classes().values(), ReadModelSettings]


def test_the_committed_reference_is_the_one_the_classes_generate():
    """Regenerate with `make settings-docs`; a setting added, removed or reworded fails here."""
    assert COMMITTED.read_text() == render()


def test_every_setting_has_a_description():
    undescribed = {f"{cls.__name__}.{name}" for cls in every_settings_class()
                   for name, field in cls.model_fields.items()
                   if not (field.description or "").strip()}

    assert undescribed == set()


def test_every_variable_of_every_reader_has_a_row_naming_that_reader():
    rows = {line.split(" | ")[0].strip("| `"): line.split(" | ")[4]
            for line in render().splitlines() if line.startswith("| `OPD_")}

    for reader, cls in settings_classes().items():
        for name in cls.model_fields:
            assert reader in rows[f"OPD_{name.upper()}"].split(", "), (reader, name)
    assert set(READERS) == set(settings_classes())


class _Shared(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPD_")

    size: int = Field(16, ge=1, le=256, description="How many")
    mode: Literal["a", "b"] = Field("a", description="Which")
    key: SecretStr | None = Field(None, description="A secret")


class _One(_Shared):
    size: int = Field(100, ge=1, le=256, description="How many")


def test_types_bounds_and_per_reader_defaults_are_written_as_the_fields_declare_them():
    rows = field_rows({"one": _One, "two": _Shared, "three": _Shared})

    assert rows == [
        ["`OPD_SIZE`", "int", "one: `100`; two, three: `16`", ">= 1, <= 256", "one, two, three",
         "How many"],
        ["`OPD_MODE`", "one of `a`, `b`", "`a`", "-", "one, two, three", "Which"],
        ["`OPD_KEY`", "secret, optional", "unset", "-", "one, two, three", "A secret"],
    ]
