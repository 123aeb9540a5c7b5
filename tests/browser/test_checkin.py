"""The door scanner in Chromium (typed codes, as a handheld scanner types them): a valid ticket,
a second scan of it, a forged code and a cancelled ticket; then offline scans, one of a ticket
another door let in meanwhile, which arrive once when the network is back and show the
conflict."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS
from weticket_wagtail.checkin import services
from weticket_wagtail.checkin.models import Checkin
from weticket_wagtail.ticketing.models import Ticket
from weticket_wagtail.ticketing.services.orders import void_tickets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def scan(page, text: str) -> None:
    page.get_by_label("Ticket code").fill(text)
    page.get_by_role("button", name="Check").click()


def test_the_scanner_answers_at_once_and_syncs_offline_scans_once(new_page, live_server):
    from tests.checkin.conftest import Door

    door = Door()
    valid, cancelled, later_one, elsewhere = (door.ticket() for _ in range(4))
    void_tickets(cancelled.order, [cancelled.pk], Ticket.Status.CANCELLED)
    page = new_page(width=480, height=900)
    scan_posts = []
    page.on(
        "request",
        lambda request: (
            scan_posts.append(request.post_data)
            if request.url.endswith("/scan/") and request.method == "POST"
            else None
        ),
    )
    page.goto(live_server.url + reverse("weticket_checkin:scanner", args=[door.device_a.token]))
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    result = page.locator("[data-wtc='result']")

    scan(page, door.token(valid))
    expect(result).to_have_attribute("data-kind", "ok")
    expect(result).to_contain_text("Admitted")
    assert Checkin.objects.filter(ticket=valid, device=door.device_a).count() == 1

    scan(page, door.token(valid))
    expect(result).to_have_attribute("data-kind", "already")
    expect(result).to_contain_text("at entrance A")

    token = door.token(valid)
    head, payload, signature = token.split(".")
    forged = f"{head}.{payload}.{signature[::-1]}"
    scan(page, forged)
    expect(result).to_have_attribute("data-kind", "refused")
    expect(result).to_contain_text("not a genuine ticket")

    scan(page, door.token(cancelled))
    expect(result).to_have_attribute("data-kind", "refused")
    expect(result).to_contain_text("no longer valid")
    page.screenshot(path=str(SCREENSHOTS / "checkin-scanner.png"), full_page=True)

    # The network goes; meanwhile entrance B lets in the holder of `elsewhere`.
    page.context.set_offline(True)
    expect(page.locator("[data-wtc='network']")).to_contain_text("Offline")
    services.scan(door.scanner(door.device_b), door.token(elsewhere))
    posts_before = len(scan_posts)

    scan(page, door.token(later_one))
    expect(result).to_have_attribute("data-kind", "ok")
    expect(result).to_contain_text("Offline")
    scan(page, door.token(elsewhere))
    expect(result).to_have_attribute("data-kind", "ok")
    expect(page.locator("[data-wtc='queue']")).to_have_text("Scans waiting to be sent: 2.")
    assert not Checkin.objects.filter(ticket=later_one).exists()

    page.context.set_offline(False)
    expect(page.locator("[data-wtc='queue']")).to_have_text("All scans sent.")
    expect(page.locator("[data-wtc='conflicts']")).to_contain_text(
        f"Ticket {elsewhere.code}: already checked in at"
    )
    expect(page.locator("[data-wtc='conflicts']")).to_contain_text("at entrance B")

    # Each offline scan reached the server once; the earlier scan at B kept its place.
    page.reload()
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    expect(page.locator("[data-wtc='queue']")).to_have_text("All scans sent.")
    sent = [post for post in scan_posts[posts_before:] if post]
    assert sum(post.count(door.token(later_one)) for post in sent) == 1
    assert Checkin.objects.filter(ticket=later_one, device=door.device_a).count() == 1
    assert list(Checkin.objects.filter(ticket=elsewhere).values_list("entrance", flat=True)) == [
        "B"
    ]
    assert Checkin.objects.count() == 3


def qr_video(token: str, path) -> None:
    """A few seconds of a fake camera (Y4M, 640x480) looking at the ticket's QR code."""
    import io

    import segno
    from PIL import Image

    buffer = io.BytesIO()
    segno.make(token, error="m", micro=False).save(buffer, kind="png", scale=6, border=4)
    qr = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    qr.thumbnail((460, 460))
    frame = Image.new("L", (640, 480), 255)
    frame.paste(qr, ((640 - qr.width) // 2, (480 - qr.height) // 2))
    chroma = bytes([128]) * (320 * 240)
    with open(path, "wb") as video:
        video.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(30):
            video.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)


def test_the_camera_reads_a_tickets_qr_code(chromium_path, live_server, tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS
    from tests.checkin.conftest import Door

    door = Door()
    ticket = door.ticket()
    video = tmp_path / "qr.y4m"
    qr_video(door.token(ticket), video)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_path,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        try:
            context = chromium.new_context(locale="en-GB")
            context.grant_permissions(["camera"], origin=live_server.url)
            page = context.new_page()
            url = reverse("weticket_checkin:scanner", args=[door.device_a.token])
            page.goto(live_server.url + url)
            expect(page.locator("body[data-ready='1']")).to_be_attached()
            page.get_by_role("button", name="Start camera").click()
            result = page.locator("[data-wtc='result']")
            expect(result).to_have_attribute("data-kind", "ok", timeout=15_000)
            expect(result).to_contain_text("Admitted")
            # the camera keeps seeing the code: it is not scanned twice in a row
            page.wait_for_timeout(1500)
            assert Checkin.objects.filter(ticket=ticket).count() == 1
            expect(page.get_by_role("button", name="Stop camera")).to_be_visible()
        finally:
            chromium.close()
