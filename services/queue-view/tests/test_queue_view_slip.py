"""The printed slip: HTML for an 80 mm printer and ESC/POS bytes, each with a QR code that
decodes (zxing-cpp) to the patient's live page; desk and staff only."""

from __future__ import annotations

import datetime as dt
import io
import secrets

import pytest
import zxingcpp
from PIL import Image
from playwright.async_api import async_playwright

from opd_contracts import EventType
from opd_shared.access import Role

CHROMIUM = "/usr/bin/chromium"
NAME = "Meera Iyer"


async def _token(service, events):
    slot = events.slot(start_time=dt.time(9), end_time=dt.time(10), max_capacity=6)
    token = events.token(slot, patient_name=NAME, ticket=secrets.token_urlsafe(16))
    await service.publish(events.event(EventType.DOCTOR_REGISTERED, doctor=events.doctor()),
                          events.event(EventType.TOKEN_ALLOCATED, slots=[slot], tokens=[token]))
    await service.wait_applied(events.doctor_id, 2)
    return token


def _raster(escpos: bytes) -> Image.Image:
    """The image of the slip's GS v 0 command, as the printer would print it."""
    at = escpos.index(b"\x1dv0\x00")
    x_bytes, rows = escpos[at + 4] + 256 * escpos[at + 5], escpos[at + 6] + 256 * escpos[at + 7]
    bits = escpos[at + 8: at + 8 + x_bytes * rows]
    assert len(bits) == x_bytes * rows
    # PIL's mode "1" raw data: 1 is white, so the printer's bits are inverted.
    return Image.frombytes("1", (x_bytes * 8, rows), bytes(b ^ 0xFF for b in bits))


def _decoded(image: Image.Image) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(image.convert("L"))]


async def test_the_escpos_slip_prints_the_number_large_and_a_qr_code_of_the_live_page(
    service, events
) -> None:
    token = await _token(service, events)

    answer = await service.http.get(f"/api/v1/tokens/{token.id}/slip?format=escpos")
    by_accept = await service.http.get(f"/api/v1/tokens/{token.id}/slip",
                                       headers={"Accept": "application/vnd.escpos"})

    assert answer.status_code == 200 and answer.headers["content-type"] == "application/vnd.escpos"
    body = answer.content
    assert body.startswith(b"\x1b@") and body.endswith(b"\x1dVB\x00")  # init ... cut
    number = token.token_number.rsplit("-", 1)[1].encode()
    assert b"\x1d!\x44\x1bE\x01" + number in body  # huge and bold
    assert token.token_number.encode() in body and b"Room: R1" in body
    assert NAME.encode() not in body
    assert _decoded(_raster(body)) == [f"http://queue-view/t/{token.ticket}"]
    assert by_accept.content == body


async def test_the_html_slip_fits_80_mm_and_its_qr_code_decodes_in_a_browser(
    service, events
) -> None:
    token = await _token(service, events)

    answer = await service.http.get(f"/api/v1/tokens/{token.id}/slip?lang=hi")
    css = await service.http.get("/patient/static/slip.css")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM,
                                                   args=["--headless", "--no-sandbox"])
        page = await browser.new_page()
        await page.set_content(answer.text)
        shot = await page.locator("figure.qr svg").screenshot(path=None)
        await browser.close()

    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert "@page { size: 80mm auto" in css.text
    assert token.token_number in answer.text and "आपका टोकन" in answer.text
    assert NAME not in answer.text
    assert _decoded(Image.open(io.BytesIO(shot))) == [f"http://queue-view/t/{token.ticket}"]


@pytest.mark.parametrize("role", [Role.ONLINE, Role.PARTNER, Role.DISPLAY])
async def test_only_the_desk_staff_and_admin_print_slips(service, events, role) -> None:
    token = await _token(service, events)
    desk = await service.key(Role.DESK)

    async with service.client(await service.key(role)) as other, service.client(desk) as at_desk:
        refused = await other.get(f"/api/v1/tokens/{token.id}/slip")
        printed = await at_desk.get(f"/api/v1/tokens/{token.id}/slip")
        missing = await at_desk.get(f"/api/v1/tokens/{token.id + 10**12}/slip")

    assert (refused.status_code, printed.status_code, missing.status_code) == (403, 200, 404)
