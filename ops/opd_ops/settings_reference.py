"""docs/SETTINGS.md, written from the settings classes: `make settings-docs`.

Every OPD_* variable is a field of a pydantic-settings class, with its type, default, bounds
and description in the code; a hand-kept table drifts from that the first time someone adds
a knob. This reads the classes themselves and writes the table, and a test compares the
committed file with what this writes, so a new or changed setting cannot ship undocumented.

The services are imported by name: ops is a tool of the whole workspace, not a service, so
it does not list them as dependencies (`uv sync` installs them all).
"""

from __future__ import annotations

import argparse
import importlib
import typing
from collections.abc import Iterable
from pathlib import Path

from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

__all__ = ["READERS", "field_rows", "main", "render", "settings_classes"]

# Who reads the environment, and through which class. The tools (opd_shared.access,
# opd_ops.purge, reconcile, simulate, bench) read the shared class alone.
READERS = {
    "tools": "opd_shared.settings:ServiceSettings",
    "booking-gateway": "booking_gateway.settings:GatewaySettings",
    "allocator": "allocator.settings:AllocatorSettings",
    "queue-view": "queue_view.settings:QueueViewSettings",
    "analytics": "analytics.settings:AnalyticsSettings",
    "interop": "interop.settings:InteropSettings",
    "notifier": "notifier.settings:NotifierSettings",
}
HEADER = """# Settings reference

Generated from the settings classes by `make settings-docs` (`python -m
opd_ops.settings_reference`); edit the classes, not this file (a test compares the two).

Every setting is an environment variable, or a line in a `.env` file in the working
directory. "Read by" names the processes whose settings class declares the variable: every
process parses every shared variable (the production checks of `OPD_ENV` apply to all), even
one it has no use for. Where the services differ, a value is given per service.

| variable | type | default | bounds | read by | meaning |
|---|---|---|---|---|---|
"""


def settings_classes() -> dict[str, type[BaseSettings]]:
    """Each reader's settings class, imported from `module:Class`."""
    classes = {}
    for reader, target in READERS.items():
        module, _, name = target.partition(":")
        classes[reader] = getattr(importlib.import_module(module), name)
    return classes


def field_rows(classes: dict[str, type[BaseSettings]]) -> list[list[str]]:
    """One row per variable: shared ones first, then each service's own, in code order."""
    names: list[str] = []
    for cls in classes.values():
        names += [name for name in cls.model_fields if name not in names]
    return [_row(name, {reader: cls.model_fields[name] for reader, cls in classes.items()
                        if name in cls.model_fields}, classes) for name in names]


def _row(name: str, fields: dict[str, FieldInfo], classes: dict) -> list[str]:
    prefix = next(iter(classes.values())).model_config.get("env_prefix", "")
    return [f"`{(prefix + name).upper()}`",
            _per_reader({r: _type(f.annotation) for r, f in fields.items()}),
            _per_reader({r: _default(f.default) for r, f in fields.items()}),
            _per_reader({r: _bounds(f.metadata) for r, f in fields.items()}),
            ", ".join(fields),
            _per_reader({r: (f.description or "").replace("\n", " ") for r, f in fields.items()})]


def _per_reader(values: dict[str, str]) -> str:
    """The value once when every reader agrees, else `reader, reader: value; ...`."""
    if len(set(values.values())) == 1:
        return next(iter(values.values()))
    groups: dict[str, list[str]] = {}
    for reader, value in values.items():
        groups.setdefault(value, []).append(reader)
    return "; ".join(f"{', '.join(readers)}: {value or '-'}" for value, readers in groups.items())


def _type(annotation: object) -> str:
    args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    if typing.get_origin(annotation) is typing.Literal:
        return "one of " + ", ".join(f"`{arg}`" for arg in args)
    if len(args) == 1:  # `X | None`: unset is allowed
        return f"{_type(args[0])}, optional"
    if annotation is SecretStr:
        return "secret"
    return getattr(annotation, "__name__", str(annotation))


def _default(value: object) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def _bounds(metadata: Iterable[object]) -> str:
    symbols = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<", "min_length": "length >=",
               "max_length": "length <=", "pattern": "matches"}
    found = []
    for item in metadata:
        for attribute, symbol in symbols.items():
            value = getattr(item, attribute, None)
            if value is not None:
                shown = f"`{value}`" if attribute == "pattern" else value
                found.append(f"{symbol} {shown}")
    return ", ".join(found) or "-"


def render() -> str:
    rows = field_rows(settings_classes())
    return HEADER + "".join(
        "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |\n" for row in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m opd_ops.settings_reference",
                                     description="Write the settings reference (Markdown).")
    parser.add_argument("--output", type=Path, default=Path("docs/SETTINGS.md"),
                        help="where to write it (docs/SETTINGS.md)")
    args = parser.parse_args(argv)
    args.output.write_text(render())
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
