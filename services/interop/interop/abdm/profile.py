"""ABDM Scan & Share, HIP side: the shapes of the published HIP-facing API that this
service implements (docs/INTEROP.md, "Which ABDM version").

The gateway sends `POST /v1.0/patients/profile/share` (HIP-facing API, gateway v0.5
family) with the profile the patient's ABHA app shared; the HIP answers 202 and later
calls the gateway's `POST /v1.0/patients/profile/on-share` with the token number. Field
names are ABDM's, on the wire; unknown fields are ignored (the gateway adds some, such as
`location`), while a field we use that is missing or malformed refuses the share (400).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from opd_contracts.commands import AbhaNumber, Name, Phone

__all__ = ["OnShare", "ShareRequest", "SharedPatient"]

# An ABHA address: user@sbx (sandbox) or user@abdm; letters, digits, dot and underscore.
AbhaAddress = Annotated[str, StringConstraints(
    strip_whitespace=True, min_length=3, max_length=100,
    pattern=r"^[A-Za-z0-9][A-Za-z0-9._]*@[A-Za-z0-9]+$")]
CounterCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                               max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Identifier(_Wire):
    type: str = Field(max_length=40)
    value: str = Field(max_length=100)


class Address(_Wire):
    line: str | None = Field(None, max_length=500)
    district: str | None = Field(None, max_length=120)
    state: str | None = Field(None, max_length=120)
    pincode: str | None = Field(None, max_length=12)


class SharedPatient(_Wire):
    healthId: AbhaAddress | None = Field(None, description="The ABHA address")
    healthIdNumber: AbhaNumber | None = Field(None, description="The ABHA number")
    name: Name
    gender: Literal["M", "F", "O", "U"]
    yearOfBirth: int = Field(ge=1900, le=2100)
    monthOfBirth: int | None = Field(None, ge=1, le=12)
    dayOfBirth: int | None = Field(None, ge=1, le=31)
    address: Address | None = None
    identifiers: list[Identifier] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _identified(self) -> SharedPatient:
        if not (self.healthId or self.healthIdNumber):
            raise ValueError("a shared profile names the ABHA number or the ABHA address")
        if self.yearOfBirth > dt.date.today().year:
            raise ValueError("yearOfBirth is in the future")
        return self

    @property
    def mobile(self) -> str | None:
        return next((i.value for i in self.identifiers if i.type.upper() == "MOBILE"), None)

    @property
    def key(self) -> str:
        """Who the patient is, for "the same patient shares twice today"."""
        return self.healthIdNumber or (self.healthId or "").lower()


class MobileChecked(BaseModel):
    phone: Phone


class Profile(_Wire):
    hipCode: CounterCode = Field(description="The `code` of the facility QR: our counter")
    patient: SharedPatient


class ShareRequest(_Wire):
    requestId: uuid.UUID
    timestamp: dt.datetime
    intent: dict[str, Any] | None = None
    profile: Profile

    @model_validator(mode="after")
    def _mobile_is_a_phone(self) -> ShareRequest:
        if self.profile.patient.mobile is not None:
            try:
                MobileChecked(phone=self.profile.patient.mobile)  # the product's phone rule
            except ValidationError:
                raise ValueError("the MOBILE identifier is not a phone number") from None
        return self


class Acknowledgement(BaseModel):
    status: Literal["SUCCESS", "FAILURE"]
    healthId: str
    tokenNumber: str | None = None


class ErrorOut(BaseModel):
    code: int
    message: str


class Resp(BaseModel):
    requestId: uuid.UUID


class OnShare(BaseModel):
    """The callback body (`/v1.0/patients/profile/on-share`)."""

    requestId: uuid.UUID
    timestamp: str
    acknowledgement: Acknowledgement
    error: ErrorOut | None
    resp: Resp
