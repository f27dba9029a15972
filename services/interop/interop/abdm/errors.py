"""A share refused at the door: status, the product's error code, a sentence."""

from __future__ import annotations

__all__ = ["AbdmRefusal"]


class AbdmRefusal(Exception):
    def __init__(self, status: int, code: str, detail: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers
