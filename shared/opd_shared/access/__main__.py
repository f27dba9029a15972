"""Create, list and revoke API keys: `python -m opd_shared.access --help`."""

from __future__ import annotations

import argparse
import asyncio

from pydantic import TypeAdapter

from opd_contracts.commands import Channel
from opd_shared.access.policy import AccessPolicy
from opd_shared.access.roles import Role
from opd_shared.access.store import KeyRecord, KeyStore
from opd_shared.settings import ServiceSettings


def _bookings(record: KeyRecord, policy: AccessPolicy) -> str:
    quota = policy.quota(record)
    shown = f"{quota} bookings/day" if quota else "unlimited bookings"
    return shown if record.daily_bookings is not None else f"{shown} (role default)"


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number, 0 or more")
    return int(text)


async def _run(args: argparse.Namespace) -> int:
    settings = ServiceSettings()
    store, policy = KeyStore(settings.access_database_url), AccessPolicy.of(settings)
    try:
        await store.prepare()
        if args.command == "create":
            record, key = await store.create(args.name, Role(args.role), args.rate,
                                             args.channel, args.daily_bookings)
            print(f"key {record.id} ({record.name}, {record.role}, channel {record.channel}, "
                  f"{record.rate_per_minute}/min, {_bookings(record, policy)}):")
            print(key)
            print("Keep it now: it is stored only as a hash and cannot be shown again.")
        elif args.command == "revoke":
            if not await store.revoke(args.id):
                print(f"no active key {args.id}")
                return 1
            print(f"key {args.id} revoked")
        else:
            for r in await store.all():
                state = "revoked" if r.revoked else "active"
                print(f"{r.id:>5}  {r.role:<8} {r.channel:<16} {r.rate_per_minute:>6}/min  "
                      f"{_bookings(r, policy):<34} {state:<8} {r.name}")
        return 0
    finally:
        await store.close()


def _channel(value: str) -> str:
    return TypeAdapter(Channel).validate_python(value)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m opd_shared.access",
                                     description="Manage the OPD API keys.")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="make a key and print it once")
    create.add_argument("--name", required=True, help="who uses it, e.g. 'Web booking app'")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--rate", type=int, help="requests a minute (default by role)")
    create.add_argument("--channel", type=_channel,
                        help="the app or desk the key acts for: keys of one channel reach the "
                             "same tokens (rotate a key by giving the new one the old channel); "
                             "default: a channel of its own")
    create.add_argument("--daily-bookings", type=_count, metavar="N",
                        help="bookings a day, per gateway process (default by role, from "
                             "OPD_DAILY_BOOKINGS_<ROLE>; 0: no limit)")
    revoke = commands.add_parser("revoke", help="stop a key from working")
    revoke.add_argument("id", type=int)
    commands.add_parser("list", help="every key, without the secrets")
    return asyncio.run(_run(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
