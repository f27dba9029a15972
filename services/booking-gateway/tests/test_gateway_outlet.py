"""The gateway's outlet per command queue: a command goes out at once when nothing is in
flight, or beside a lone command in flight; commands arriving while a publish awaits its
confirm leave together after it, at most `items_max` to a message; each learns the fate of
the message that carried it.
(Pure logic over a recording publisher; the broker's side: tests/integration.)"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest

from booking_gateway.outlet import Outlet
from opd_contracts import CallNext, CommandEnvelope


def _command() -> CommandEnvelope:
    return CommandEnvelope(command_id=uuid.uuid4(), issued_at=dt.datetime.now(dt.UTC),
                           fingerprint="f", command=CallNext(doctor_id=7))


class Broker:
    """Records each message's commands; confirms when told to."""

    def __init__(self) -> None:
        self.messages: list[list[uuid.UUID]] = []
        self.confirm = asyncio.Event()
        self.refuse = False

    async def publish(self, envelopes: list[CommandEnvelope]) -> None:
        self.messages.append([e.command_id for e in envelopes])
        await self.confirm.wait()
        if self.refuse:
            raise ConnectionError("the broker went away")


async def test_a_lone_command_leaves_at_once_as_a_batch_of_one():
    broker = Broker()
    broker.confirm.set()
    command = _command()

    await asyncio.wait_for(Outlet(broker.publish).send(command), 1)

    assert broker.messages == [[command.command_id]]


async def test_commands_gathered_while_a_confirm_is_awaited_leave_together_at_most_the_max():
    broker = Broker()
    outlet = Outlet(broker.publish, items_max=3)
    commands = [_command() for _ in range(7)]
    sent = [asyncio.create_task(outlet.send(commands[0]))]
    await asyncio.sleep(0.01)  # the first is in flight, alone
    sent.append(asyncio.create_task(outlet.send(commands[1])))
    await asyncio.sleep(0.01)  # the second left beside it: no load to batch with
    sent += [asyncio.create_task(outlet.send(command)) for command in commands[2:]]
    await asyncio.sleep(0.01)  # the others gather behind both

    ids = [c.command_id for c in commands]
    assert broker.messages == [ids[:1], ids[1:2]]
    broker.confirm.set()
    await asyncio.wait_for(asyncio.gather(*sent), 1)

    assert broker.messages == [ids[:1], ids[1:2], ids[2:5], ids[5:]]


async def test_under_load_nothing_leaves_beside_a_message_of_several():
    broker = Broker()
    outlet = Outlet(broker.publish)
    commands = [_command() for _ in range(6)]
    first = [asyncio.create_task(outlet.send(c)) for c in commands[:3]]  # one turn: gathered
    await asyncio.sleep(0.01)
    later = [asyncio.create_task(outlet.send(c)) for c in commands[3:]]
    await asyncio.sleep(0.01)

    ids = [c.command_id for c in commands]
    assert broker.messages == [ids[:3]]  # the later ones wait: there is a load to batch
    broker.confirm.set()
    await asyncio.wait_for(asyncio.gather(*first, *later), 1)
    assert broker.messages == [ids[:3], ids[3:]]


async def test_every_command_of_a_message_the_broker_refused_learns_it():
    broker = Broker()
    broker.refuse = True
    outlet = Outlet(broker.publish)
    sent = [asyncio.create_task(outlet.send(_command()))]
    await asyncio.sleep(0.01)
    sent += [asyncio.create_task(outlet.send(_command())) for _ in range(2)]
    await asyncio.sleep(0.01)
    broker.confirm.set()

    results = await asyncio.gather(*sent, return_exceptions=True)

    assert [type(r) for r in results] == [ConnectionError] * 3
    assert len(broker.messages) == 2  # the lone first, then the two that gathered
    broker.refuse = False
    await asyncio.wait_for(outlet.send(_command()), 1)  # the outlet still serves


async def test_a_request_that_went_away_does_not_stop_its_neighbours_from_hearing():
    broker = Broker()
    outlet = Outlet(broker.publish)
    first = asyncio.create_task(outlet.send(_command()))
    await asyncio.sleep(0.01)
    gone, kept = (asyncio.create_task(outlet.send(_command())) for _ in range(2))
    await asyncio.sleep(0.01)
    gone.cancel()
    broker.confirm.set()

    await asyncio.wait_for(asyncio.gather(first, kept), 1)
    with pytest.raises(asyncio.CancelledError):
        await gone
