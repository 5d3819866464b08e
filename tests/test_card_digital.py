"""Kartu digital (DESIGN §3.11): the account's newest active card with its QR code, and the
public verification page the QR opens, which shows only active or not, the segment and a
masked name, and answers every token that does not verify with one neutral page."""

from __future__ import annotations

import base64
import html
import json
import re
import time
from datetime import date

import pytest
import zxingcpp
from itsdangerous import TimestampSigner
from PIL import Image, ImageDraw

from tests import factories
from webapp import assets
from webapp.card import services
from webapp.extensions import db
from webapp.rules import Programme

PERSONAL_NUMBER = re.compile(r"\d{11,}")  # a KPJ is 11 digits, a NIK 16
VERIFY_LINK = re.compile(r'href="(http://localhost(/v/[^"]+))"')
INLINE_SVG = re.compile(r'<figure class="id-card__qr"><svg [^>]*>.*?</svg>', re.S)
NEUTRAL = "Kartu tidak dapat diverifikasi"


@pytest.fixture
def budi(app):
    """Budi: an old AKTIF PU card, a newer AKTIF BPU card (his digital card), and a newest
    card that is NONAKTIF; all linked to his account."""
    person = factories.person(full_name="BUDI SANTOSO")
    old = factories.membership(person, registered_on=date(2012, 2, 1))
    newest_active = factories.membership(
        person, segment="BPU", employer_npp=None, registered_on=date(2021, 3, 1)
    )
    ended = factories.membership(person, status="NONAKTIF", registered_on=date(2023, 5, 2))
    account = factories.account(person, old, newest_active, ended, email="budi@contoh.id")
    return account, newest_active, [old, ended]


@pytest.fixture
def signed_in(budi, auth):
    assert auth.login("budi@contoh.id").status_code == 303
    return budi


def member_with(*statuses: str, segment: str = "PU"):
    """Sari (sari@contoh.id) with one linked card of the segment per status given."""
    person = factories.person(full_name="SARI DEWI", gender="P")
    cards = [factories.membership(person, segment=segment, status=status) for status in statuses]
    return factories.account(person, *cards, email="sari@contoh.id"), cards


def card_page(client) -> str:
    response = client.get("/kartu-digital")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def verify_path(page: str) -> str:
    return html.unescape(VERIFY_LINK.search(page).group(2))


# --- Which card -------------------------------------------------------------------------


def test_the_newest_active_card_is_the_digital_card(client, signed_in):
    account, newest_active, others = signed_in
    page = card_page(client)
    assert newest_active.kpj in page  # in full: the page is the card
    assert all(card.kpj not in page for card in others)
    assert "BUDI SANTOSO" in page and "Bukan Penerima Upah (BPU)" in page
    assert "Berlaku selama status AKTIF" in page


def test_ties_on_the_registration_date_go_to_the_higher_kpj(app):
    person = factories.person()
    same_day = [factories.membership(person, registered_on=date(2020, 1, 2)) for _ in range(3)]
    account = factories.account(person, *same_day)
    assert services.newest_active_card(account.id).kpj == max(card.kpj for card in same_day)


def test_the_card_shows_its_employer_name(client, app, auth):
    person = factories.person()
    employer = factories.employer(name="PT Karya Konstruksi")
    factories.account(person, factories.membership(person, employer_npp=employer.npp), email="k@contoh.id")
    auth.login("k@contoh.id")
    assert "PT Karya Konstruksi" in card_page(client)


@pytest.mark.parametrize(
    ("statuses", "says"),
    [
        ((), "Belum ada KPJ yang terhubung"),
        (("NONAKTIF", "DIKLAIM", "DIGABUNG"), "Tidak ada KPJ yang aktif"),
    ],
)
def test_without_an_active_card_the_page_says_why_and_what_to_do(client, app, auth, statuses, says):
    member_with(*statuses)
    auth.login("sari@contoh.id")
    response = client.get("/kartu-digital")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert says in page
    assert 'href="/pengaturan/tambah-kpj"' in page and 'href="/pengaturan/temukan-kpj"' in page
    assert "<svg" not in page and "/v/" not in page


@pytest.mark.parametrize(
    ("segment", "programmes"),
    [
        ("PU", {"JHT", "JP", "JKK", "JKM", "JKP"}),
        ("JAKON", {"JKK", "JKM"}),
        ("BPU", {"JKK", "JKM", "JHT"}),
    ],
)
def test_the_card_shows_exactly_its_segments_programmes(client, app, auth, segment, programmes):
    member_with("AKTIF", segment=segment)
    auth.login("sari@contoh.id")
    page = card_page(client)
    for programme in Programme:
        assert (programme.label in page) == (programme.value in programmes), programme


def test_another_account_only_ever_sees_its_own_card(client, app, budi, auth):
    _, budis_card, _ = budi
    sari, [saris_card] = member_with("AKTIF")
    auth.login("sari@contoh.id")
    client.get("/")  # the welcome toast is shown
    page = card_page(client)
    assert saris_card.kpj in page
    assert budis_card.kpj not in page and "BUDI" not in page
    # The page takes no parameter that could name another card.
    asking_for_budis = client.get(f"/kartu-digital?kpj={budis_card.kpj}&ref={budis_card.link_ref}")
    assert card_shown(asking_for_budis.get_data(as_text=True)) == card_shown(page)


def card_shown(page: str) -> str:
    """The card on a page, without its QR (a new token on every view)."""
    card = re.search(r'<article id="kartu-digital".*?</article>', page, re.S).group(0)
    return re.sub(r"<svg .*?</svg>", "", card, flags=re.S)


# --- The page itself ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/kartu-digital", "/kartu-digital/cetak"])
def test_the_card_pages_need_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/masuk?next=")


@pytest.mark.parametrize("path", ["/kartu-digital", "/kartu-digital/cetak"])
def test_the_card_pages_are_never_stored(client, signed_in, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_no_kpj_or_nik_in_any_url_of_the_card_pages(client, signed_in):
    for path in ("/kartu-digital", "/kartu-digital/cetak"):
        page = client.get(path).get_data(as_text=True)
        urls = re.findall(r'(?:href|src|action)="([^"]*)"', page)
        assert urls and not [url for url in urls if PERSONAL_NUMBER.search(url)]


def test_the_token_carries_the_cards_link_ref_not_its_kpj(client, signed_in):
    _, card, _ = signed_in
    token = verify_path(card_page(client)).removeprefix("/v/")
    payload = token.split(".")[0]
    assert json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))) == card.link_ref
    assert card.kpj not in token and card.nik not in token


def test_the_qr_stays_small_enough_to_scan_at_card_size(app):
    token = services.issue_token("A" * 22)  # link_ref: 16 random bytes, URL-safe base64
    qr = services.qr_code(f"https://kpjku.contoh.go.id/v/{token}")
    assert qr.version <= 6 and qr.error in ("M", "Q", "H")


def test_beranda_and_profil_link_to_the_digital_card(client, signed_in):
    for path in ("/", "/profil"):
        assert 'href="/kartu-digital"' in client.get(path).get_data(as_text=True)


def test_the_print_version_offers_a_print_button_and_prints_at_card_size(client, signed_in):
    page = client.get("/kartu-digital/cetak").get_data(as_text=True)
    assert f'src="/static/{assets.current().fingerprinted("js/print.js")}"' in page and "data-print" in page
    assert f'href="/static/{assets.current().fingerprinted("css/card.css")}"' in page
    assert 'id="kartu-digital"' in page
    assert 'href="/kartu-digital/cetak"' in card_page(client)  # Cetak kartu, without JavaScript
    with client.get("/static/css/card.css") as response:
        css = response.get_data(as_text=True)
    print_rules = css.split("@media print")[1]
    assert "@page { size: 85.6mm 54mm; margin: 0; }" in print_rules
    assert "width: 85.6mm; height: 54mm;" in print_rules


# --- The QR and the verification page --------------------------------------------------


def test_verify_reads_the_card_behind_a_token_and_nothing_behind_anything_else(budi):
    _, card, _ = budi
    verification = services.verify(services.issue_token(card.link_ref))
    assert (verification.active, verification.segment, verification.masked_name) == (
        True, "BPU", "B•• S••"
    )
    assert services.verify("bukan-token") is None
    assert services.verify(services.issue_token("tidak-ada-kartu-ini-xx")) is None


def rasterise(svg: str, scale: int = 4) -> Image.Image:
    """segno's SVG drawn as a picture: each dark run is `h<length>` along a row, the pen
    moved by `M`/`m` between runs."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    path = re.search(r'<path class="qrline"[^>]* d="([^"]+)"', svg).group(1)
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    x = y = 0.0
    for command, first, second in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            row = int(y)  # the pen runs along the middle of the row
            end = x + float(first)
            draw.rectangle([x * scale, row * scale, end * scale - 1, (row + 1) * scale - 1], fill=0)
            x = end
    return image


def test_the_pages_qr_is_inline_svg_and_decodes_to_the_verification_url(client, signed_in, app):
    page = card_page(client)
    svg = INLINE_SVG.search(page).group(0)
    assert "<img" not in svg and "data:" not in svg
    [decoded] = zxingcpp.read_barcodes(rasterise(svg))
    verify_url = html.unescape(VERIFY_LINK.search(page).group(1))
    assert decoded.format == zxingcpp.BarcodeFormat.QRCode
    assert decoded.text == verify_url

    stranger = app.test_client()
    response = stranger.get(decoded.text.removeprefix("http://localhost"))
    shown = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "B•• S••" in shown and "verification__status--aktif" in shown


def test_a_new_token_each_time_the_card_is_shown_and_both_verify(client, signed_in, monkeypatch):
    first = verify_path(card_page(client))
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) + 1)
    second = verify_path(card_page(client))
    assert first != second
    assert [client.get(path).status_code for path in (first, second)] == [200, 200]


def test_the_verification_shows_status_segment_masked_name_and_time_only(client, app, auth):
    account, [card] = member_with("AKTIF")  # PU, with its employer PT Maju Bersama
    auth.login("sari@contoh.id")
    response = app.test_client().get(verify_path(card_page(client)))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ">AKTIF<" in page and "Penerima Upah (PU)" in page and "S•• D••" in page
    assert re.search(r"Diperiksa</dt><dd>\d{1,2} \w+ \d{4} \d{2}\.\d{2} WIB", page)
    assert not PERSONAL_NUMBER.search(page)  # no KPJ, no NIK
    assert card.kpj[-4:] not in page and account.nik[-4:] not in page
    assert "SARI" not in page and "DEWI" not in page and "sari@contoh.id" not in page
    assert "Maju Bersama" not in page and "Rp" not in page


@pytest.mark.parametrize("status", ["NONAKTIF", "DIKLAIM", "DIGABUNG"])
def test_a_card_no_longer_active_verifies_as_tidak_aktif(client, signed_in, app, status):
    _, card, _ = signed_in
    path = verify_path(card_page(client))
    card.status = status
    db.session.commit()
    page = app.test_client().get(path).get_data(as_text=True)
    assert ">TIDAK AKTIF<" in page and ">AKTIF<" not in page and status not in page
    assert "B•• S••" in page


def test_the_verification_page_has_no_session_and_stays_out_of_indexes(client, signed_in, app):
    path = verify_path(card_page(client))
    for viewer in (client, app.test_client()):
        response = viewer.get(path)
        page = response.get_data(as_text=True)
        assert "csrf" not in page.lower() and "toast" not in page and "tabbar" not in page
        assert '<meta name="robots" content="noindex, nofollow">' in page
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in app.test_client().get(path).headers


def tampered(token: str) -> str:
    """The same token with a character of its signature changed (not the last one: its
    low bits are base64 padding, which decoding ignores)."""
    return token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]


def test_every_token_that_does_not_verify_gets_the_same_neutral_page(
    client, signed_in, app, monkeypatch
):
    _, card, _ = signed_in
    good = verify_path(card_page(client)).removeprefix("/v/")
    payload, stamp, signature = good.split(".")
    with monkeypatch.context() as past:
        a_year_ago = int(time.time()) - 366 * 24 * 60 * 60
        past.setattr(TimestampSigner, "get_timestamp", lambda self: a_year_ago)
        expired = services.issue_token(card.link_ref)
    tokens = {
        "tampered signature": tampered(good),
        "tampered payload": ".".join([services.issue_token("B" * 22).split(".")[0], stamp, signature]),
        "garbage": "bukan-token",
        "no signature": f"{payload}.{stamp}",
        "too long": good + "A" * 200,
        "expired": expired,
        "unknown card": services.issue_token("AAAAAAAAAAAAAAAAAAAAAA"),
    }
    answers = {name: app.test_client().get(f"/v/{token}") for name, token in tokens.items()}

    # Unlinked since (as a registry import does when the card's NIK changes), then linked
    # again with a fresh link_ref: the token it was shown with leads nowhere.
    card.account_id, card.link_ref = None, None
    db.session.commit()
    answers["unlinked card"] = app.test_client().get(f"/v/{good}")
    factories.link(card, signed_in[0])
    db.session.commit()
    answers["linked again"] = client.get(f"/v/{good}")  # signed in makes no difference

    bodies = {name: response.get_data() for name, response in answers.items()}
    assert {response.status_code for response in answers.values()} == {404}
    assert len(set(bodies.values())) == 1, "one page for all"
    page = bodies["garbage"].decode()
    assert NEUTRAL in page and "B••" not in page and "AKTIF" not in page
    assert all(r.headers["X-Robots-Tag"] == "noindex, nofollow" for r in answers.values())


def test_the_verification_is_rate_limited_per_client_address(app, client, signed_in, monkeypatch):
    monkeypatch.setitem(app.config, "VERIFY_LIMIT", "3 per hour")
    path = verify_path(card_page(client))
    desk = app.test_client()
    statuses = [desk.get(path).status_code for _ in range(3)] + [desk.get("/v/bukan-token").status_code]
    assert statuses == [200, 200, 200, 429]
    refused = desk.get(path)
    assert refused.status_code == 429 and "Terlalu banyak percobaan" in refused.get_data(as_text=True)
    other_desk = app.test_client()
    assert other_desk.get(path, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200
