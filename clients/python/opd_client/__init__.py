"""A small typed client of the OPD token HTTP API; see `opd_client.client`."""

from opd_client.client import OpdClient
from opd_client.errors import Problem, RateLimited, SlotFull, Unavailable
from opd_client.models import Booked, Pending, QueueEntry, TokenView

__all__ = ["Booked", "OpdClient", "Pending", "Problem", "QueueEntry", "RateLimited",
           "SlotFull", "TokenView", "Unavailable"]
