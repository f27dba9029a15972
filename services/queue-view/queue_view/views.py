"""The read model's rows as HTTP shapes, for one caller.

Every token that leaves this service as JSON is built by `token_out`, which is told
whether the caller may see patients: a caller who may not gets the same shape with the
name, phone and notes null. Boards (the display) never carry them at all.
"""

from __future__ import annotations

from queue_view.day import DoctorDay, InLine, SlotDay
from queue_view.models import Doctor, Token
from queue_view.schemas import DayOut, DoctorOut, QueueEntryOut, SlotDayOut, SlotOut, TokenOut

__all__ = ["day_out", "queue_entry", "token_out"]

# Hidden from callers who may not see the patient; which app booked is theirs to know too,
# and so is the ticket: it opens the patient's live page without a key.
PRIVATE_FIELDS = {"patient_name": None, "patient_phone": None, "notes": None, "channel": None,
                  "abha_number": None, "ticket": None}


def token_out(token: Token, patients: bool) -> TokenOut:
    shown = TokenOut.model_validate(token)
    return shown if patients else shown.model_copy(update=PRIVATE_FIELDS)


def queue_entry(entry: InLine, patients: bool) -> QueueEntryOut:
    return QueueEntryOut(position=entry.position,
                         estimated_wait_minutes=entry.estimated_wait_minutes,
                         **token_out(entry.token, patients).model_dump())


def _slot_day_out(day: SlotDay, patients: bool) -> SlotDayOut:
    return SlotDayOut(**SlotOut.model_validate(day.slot).model_dump(exclude={
        "available_capacity", "is_full", "utilisation"}),
        minutes_per_patient=day.pace.minutes_per_patient, wait_basis=day.pace.basis,
        queue=[queue_entry(entry, patients) for entry in day.queue])


def day_out(doctor: Doctor, day: DoctorDay, patients: bool) -> DayOut:
    return DayOut(doctor=DoctorOut.model_validate(doctor), date=day.date,
                  slots=[_slot_day_out(slot, patients) for slot in day.slots])
