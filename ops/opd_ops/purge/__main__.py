"""`python -m opd_ops.purge [--batch N]`: see the package's docstring."""

from __future__ import annotations

import argparse
import asyncio

from opd_ops.purge import __doc__ as about
from opd_ops.purge import purge
from opd_shared.settings import ServiceSettings


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m opd_ops.purge", description=about)
    parser.add_argument("--batch", type=int, default=500, choices=range(1, 10_001),
                        metavar="1..10000", help="rows per statement (default 500)")
    args = parser.parse_args()
    asyncio.run(purge(ServiceSettings(), args.batch))


if __name__ == "__main__":
    main()
