"""A token slip as ESC/POS bytes, for the 80 mm thermal printers at registration desks.

Why hand-written rather than python-escpos: that library drives a printer (USB, serial,
network) and pulls in pyusb, pyserial, qrcode and more; here we only produce the bytes and
the desk's print agent sends them, so the few commands below are the whole need (Epson's
ESC/POS reference: ESC @, ESC a, ESC E, GS !, GS v 0, GS V).

The QR code is printed as a raster image (GS v 0) drawn from segno's matrix, not with the
printer's own QR command (GS ( k): every ESC/POS printer prints rasters, while GS ( k is
missing on older and cheaper models, and the raster is what the test decodes. The text is
ASCII: thermal printers' code pages carry no Devanagari or Tamil, so the slip's words are
English and the live page (the QR) carries the patient's language.
"""

from __future__ import annotations

import segno

__all__ = ["DOTS", "QR_MODULE_DOTS", "slip_bytes"]

DOTS = 576  # printable width of an 80 mm printer at 203 dpi
QR_MODULE_DOTS = 6  # one QR module is 6 x 6 dots (0.75 mm): reads from a phone at arm's length
ESC, GS, LF = b"\x1b", b"\x1d", b"\n"
INIT = ESC + b"@"
CENTER, LEFT = ESC + b"a\x01", ESC + b"a\x00"
BOLD, PLAIN = ESC + b"E\x01", ESC + b"E\x00"
NORMAL_SIZE = GS + b"!\x00"
HUGE = GS + b"!\x44"  # five times as wide and tall: the number read from across the hall
CUT = GS + b"V\x42\x00"  # feed to the cutter and cut (partial)


def _text(value: str) -> bytes:
    return value.encode("ascii", "replace") + LF


def qr_raster(url: str, module: int = QR_MODULE_DOTS, border: int = 4) -> bytes:
    """GS v 0: the QR code as a 1-bit image, MSB first, 1 = black."""
    matrix = segno.make(url, error="m").matrix
    size = len(matrix) + 2 * border
    width = size * module
    row_bytes = (width + 7) // 8
    image = bytearray()
    for y in range(size * module):
        row = y // module - border
        line = bytearray(row_bytes)
        if 0 <= row < len(matrix):
            for x in range(width):
                column = x // module - border
                if 0 <= column < len(matrix) and matrix[row][column]:
                    line[x // 8] |= 0x80 >> (x % 8)
        image += line
    height = size * module
    header = GS + b"v0\x00" + bytes([row_bytes % 256, row_bytes // 256,
                                     height % 256, height // 256])
    return header + bytes(image)


def slip_bytes(lines: list[str], number: str, details: list[str], url: str | None,
               caption: str) -> bytes:
    """`lines` above the number (the department), the number huge, `details` below it (the
    full token number, doctor, room, date, window), then the QR code and its caption."""
    out = bytearray(INIT + CENTER)
    for line in lines:
        out += _text(line)
    out += LF + HUGE + BOLD + _text(number) + NORMAL_SIZE + PLAIN + LF
    out += LEFT
    for detail in details:
        out += _text(detail)
    if url:
        out += LF + CENTER + qr_raster(url) + _text(caption)
    return bytes(out + LF + LF + CUT)
