"""Every page on a 320×568, 360×640 and 390×844 phone passes audit() (axe-core WCAG 2.1 A/AA,
no sideways scrolling, 44 px tap targets, nothing under the bars), and the page list is
checked against the app's GET routes so a new page cannot be forgotten. Then the parts of
issue items 4 and 6 that need a scenario: the JHT statement at 320 px, toasts (one at a
time, OK on screen, focus), errors beside their form, and Tambah KPJ by keyboard alone."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, timedelta

import pyotp
import pytest
from werkzeug.datastructures import FileStorage

from tests import factories
from tests.e2e.audit import audit
from tests.e2e.conftest import screenshot, sign_in, wait_for_path
from tests.test_backoffice import correction_request
from tests.test_officers import make_officer
from tests.test_uploads import minimal_pdf, png
from webapp.balances.services import today
from webapp.card.services import issue_token
from webapp.claims import services as claims
from webapp.extensions import db
from webapp.kpj.services import add_kpj, parse_add_request
from webapp.requests import services as requests
from webapp.models import ClaimKind, NotificationKind, PasswordReset, PendingRegistration, utcnow
from webapp.notifications.services import notify
from webapp.tokens import new_token

pytestmark = pytest.mark.e2e

SIZES = {"320x568": (320, 568), "360x640": (360, 640), "390x844": (390, 844)}

# GET routes that are not pages a person reads, or that only a finished flow reaches.
NOT_PAGES = {
    "static": "files, not pages",
    "main.manifest": "the web app manifest (JSON)",
    "main.service_worker": "the service worker script",
    "main.sehat": "the health check (JSON)",
    "readiness.siap": "the readiness check (JSON)",
    "balances.laporan_csv": "a CSV download",
    "claims.dokumen": "a document download",
    "devmail.kotak_keluar": "the development outbox, not served in production",
    "card.salinan": "the offline card's JSON copy for kartu-offline.js, not a page",
    "auth.periksa_email": "shown only right after a registration POST; the suite's "
    "registration flow (tests/e2e/test_flow_*) audits it",
    "backoffice.masuk_kode": "reached only after the officer's password: sign_in_officer "
    "audits it on the way in (with the enrolment QR)",
    "backoffice.dokumen": "a document download",
}


def worked(card, years, jht=150_000):
    for year in years:
        for month in (2, 7, 11):
            factories.contribution(card, date(year, month, 1), jht=jht)


@dataclass
class World:
    anonymous: list[str] = field(default_factory=list)
    # email → pages seen signed in as that account
    signed_in: dict[str, list[str]] = field(default_factory=dict)
    # officer's email → back-office pages seen signed in as that officer
    officers: dict[str, list[str]] = field(default_factory=dict)


@pytest.fixture
def world(app) -> World:
    """Rudi: an active card with a large balance (the widest statement), an old card to
    merge and an unlinked one to find. Ani: every card ended, one claim filed."""
    factories.jht_rate(2016, "7.19")
    factories.jht_rate(2018, "6.26")
    rudi = factories.person(full_name="RUDI HARTONO")
    active = factories.membership(rudi, registered_on=date(2012, 1, 9))
    old = factories.membership(rudi, status="NONAKTIF", registered_on=date(2008, 5, 2), ended_on=date(2011, 12, 31))
    unlinked = factories.membership(rudi, segment="BPU", status="NONAKTIF", registered_on=date(2005, 3, 1), ended_on=date(2007, 12, 31))
    worked(active, range(2012, today().year + 1), jht=95_000_000)
    worked(old, range(2008, 2012))
    worked(unlinked, range(2005, 2008))
    rudi_account = factories.account(rudi, active, old, email="rudi@contoh.id")
    # Riwayat with a failed attempt (its steps) and a success.
    not_found = add_kpj(rudi_account, parse_add_request("99999999999", "PU")).transaction
    # A card whose biodata differs, its Perbaikan data page, and requests of both kinds.
    misspelt = factories.membership(rudi, full_name="RUDI HARTANTO", status="NONAKTIF")
    mismatch = add_kpj(rudi_account, parse_add_request(misspelt.kpj, "PU")).transaction
    ownership = _file_ownership(rudi_account)
    notify(rudi_account.id, NotificationKind.OWNERSHIP_APPROVED, ownership.public_id)  # Notifikasi

    ani = factories.person(full_name="ANI RAHAYU", gender="P")
    one = factories.membership(ani, status="NONAKTIF", registered_on=date(2014, 1, 6), ended_on=date(2018, 6, 30))
    two = factories.membership(ani, status="NONAKTIF", registered_on=date(2018, 8, 1), ended_on=date(2022, 3, 31))
    worked(one, range(2014, 2018))
    worked(two, range(2018, 2022))
    ani_account = factories.account(ani, one, two, email="ani@contoh.id")
    claim = _file_claim(ani_account)
    notify(ani_account.id, NotificationKind.CLAIM_STAGE, claim.public_id, "PENETAPAN")

    newcomer, card = factories.newcomer()
    activation, activation_hash = new_token()
    reset, reset_hash = new_token()
    now = utcnow()
    db.session.add(PendingRegistration(
        token_hash=activation_hash, nik=newcomer.nik, kpj=card.kpj, email="dewi@contoh.id",
        phone="081234567890", password_hash="x", created_at=now, expires_at=now + timedelta(hours=1),
    ))
    db.session.add(PasswordReset(
        token_hash=reset_hash, account_id=ani_account.id, created_at=now, expires_at=now + timedelta(hours=1),
    ))
    db.session.commit()
    # A correction request for the back office's pages (its requester signs in nowhere here).
    rina = factories.person(full_name="RINA MARLINA", mother_name="SITI AMINAH")
    request = correction_request(factories.account(rina), factories.membership(rina, mother_name="SITI AMINA"))
    admin = make_officer("admin", email="admin@kpjku.id", enrolled=False)

    return World(
        officers={admin.email: [
            "/petugas/", "/petugas/cari", "/petugas/perbaikan-data", "/petugas/kartu-milik-saya",
            f"/petugas/permintaan/{request.public_id}", "/petugas/klaim",
            f"/petugas/klaim/{claim.public_id}", "/petugas/audit",
        ]},
        anonymous=[
            "/petugas/masuk",
            "/masuk", "/daftar", "/lupa-sandi", "/lupa-sandi/terkirim", "/offline",
            f"/v/{issue_token(active.link_ref)}", "/v/bukan-token",
            f"/daftar/aktifkan/{activation}", f"/atur-ulang-sandi/{reset}", "/tidak-ada",
        ],
        signed_in={
            "rudi@contoh.id": [
                "/", "/riwayat", "/profil", "/pengaturan", "/pengaturan/tambah-kpj",
                "/pengaturan/tambah-kpj?segmen=PU", "/pengaturan/tambah-kpj?segmen=BPU",
                "/pengaturan/tambah-kpj?segmen=JAKON", "/pengaturan/tambah-kpj?segmen=PMI",
                "/pengaturan/temukan-kpj", f"/kartu/{active.link_ref}", f"/kartu/{old.link_ref}",
                f"/kartu/{active.link_ref}/cetak", "/kartu-digital", "/kartu-digital/cetak",
                "/pengaturan/gabung-saldo", "/klaim", "/klaim/sebagian",
                "/pengaturan/keamanan", "/pengaturan/kata-sandi", "/notifikasi",
                f"/pengaturan/perbaikan-data?transaksi={mismatch.id}",
                "/pengaturan/kartu-milik-saya", f"/pengaturan/kartu-milik-saya?transaksi={not_found.id}",
                "/pengaturan/permintaan", f"/pengaturan/permintaan/{ownership.public_id}",
            ],
            "ani@contoh.id": ["/", "/riwayat", "/klaim", f"/klaim/{claim.public_id}", "/notifikasi"],
        },
    )


def sign_in_officer(page, email: str) -> list[str]:
    """Through the officers' two real forms, auditing the code step (the enrolment QR) on
    the way; the audit's complaints, if any."""
    page.goto("/petugas/masuk")
    page.get_by_label("Email petugas").fill(email)
    page.get_by_label("Kata sandi", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="LANJUT").click()
    wait_for_path(page, "/petugas/masuk/kode")
    failures = []
    try:
        audit(page)
    except AssertionError as problem:
        failures.append(f"{email} (kode): {problem}")
    secret = page.locator(".secret").inner_text().strip()
    page.get_by_label("Kode 6 angka").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="MASUK").click()
    wait_for_path(page, "/petugas/")
    return failures


def _file_claim(account):
    upload = {
        "ktp": ("ktp.png", "image/png", png()),
        "buku_tabungan": ("buku.png", "image/png", png()),
        "bukti_alasan": ("surat.pdf", "application/pdf", minimal_pdf()),
    }
    files = {key: FileStorage(io.BytesIO(data), filename=name, content_type=kind) for key, (name, kind, data) in upload.items()}
    form = {"alasan": "MENGUNDURKAN_DIRI", "bank": "BRI", "nomor_rekening": "012345678901",
            "nama_rekening": account.person.full_name, "npwp": ""}
    submission = claims.parse(account, form, files, ClaimKind.FULL, today())
    assert not isinstance(submission, dict), submission
    claim = claims.submit(account, submission, today())
    assert not isinstance(claim, dict), claim
    return claim


def _file_ownership(account):
    form = {"kpj": "98765432109", "perusahaan": "PT Sinar Jaya", "tahun_mulai": "2003",
            "tahun_selesai": "2006", "jenis_dokumen": "FOTO_KARTU"}
    files = {"dokumen": FileStorage(io.BytesIO(png()), filename="kartu.png")}
    parsed = requests.parse_ownership(form, files, today().year)
    assert not isinstance(parsed, dict), parsed
    return requests.file_ownership(account, parsed)


def phone(browser, live_server, size: tuple[int, int]):
    width, height = size
    return browser.new_context(
        viewport={"width": width, "height": height}, base_url=live_server, locale="id-ID",
        device_scale_factor=1, has_touch=True, is_mobile=True, service_workers="block",
    )


def test_every_page_is_listed_or_deliberately_left_out(app, world):
    visited = world.anonymous + [
        path for pages in (world.signed_in, world.officers) for paths in pages.values() for path in paths
    ]
    adapter = app.url_map.bind("localhost")
    seen = set()
    for path in visited:
        try:
            endpoint, _ = adapter.match(path.split("?")[0], method="GET")
        except Exception:  # the 404 page
            continue
        seen.add(endpoint)
    pages = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())}
    forgotten = pages - seen - set(NOT_PAGES)
    assert not forgotten, f"GET pages neither audited nor left out with a reason: {sorted(forgotten)}"
    assert not (seen & set(NOT_PAGES)), "a page is both audited and left out"


@pytest.mark.parametrize("size", SIZES, ids=list(SIZES))
def test_every_page_passes_the_audit(browser, live_server, world, size):
    failures = []
    visits = [(None, world.anonymous), *world.signed_in.items(), *world.officers.items()]
    for email, paths in visits:
        context = phone(browser, live_server, SIZES[size])
        page = context.new_page()
        page.set_default_timeout(10_000)
        try:
            if email in world.officers:
                failures += sign_in_officer(page, email)
            elif email:
                sign_in(page, email)
            for path in paths:
                page.goto(path)
                try:
                    audit(page)
                except AssertionError as problem:
                    failures.append(f"{email or 'anonymous'}: {problem}")
        finally:
            context.close()
    assert not failures, "\n".join(failures)


@pytest.fixture
def small_phone(browser, live_server):
    context = phone(browser, live_server, SIZES["320x568"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def budi(app):
    """One card linked, an old PU card of his to add, and a stranger's card."""
    person = factories.person(full_name="BUDI SANTOSO")
    factories.account(person, factories.membership(person), email="budi@contoh.id")
    old = factories.membership(person, status="NONAKTIF")
    stranger = factories.membership(factories.person(full_name="AGUS WIJAYA"))
    db.session.commit()
    return old, stranger


def focused(page) -> dict:
    return page.evaluate("""() => { const el = document.activeElement;
        return {tag: el.tagName.toLowerCase(), id: el.id, cls: el.className,
                inToast: !!el.closest('.toast'), inNotice: !!el.closest('.form-notice')}; }""")


def test_the_statement_shows_all_four_figures_of_every_year_at_320(small_phone, world):
    page = small_phone
    sign_in(page, "rudi@contoh.id")
    page.click("#kpj-list a >> nth=0")
    page.wait_for_url("**/kartu/*")
    rows = page.locator("#jht-statement tbody tr")
    assert rows.count() >= 10
    labels = ["Saldo awal", "Iuran", "Pengembangan", "Saldo akhir"]
    for index in range(rows.count()):
        cells = rows.nth(index).locator("td")
        assert cells.count() == 4
        for column, label in enumerate(labels):
            cell = cells.nth(column)
            cell.scroll_into_view_if_needed()
            box = cell.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 320, (index, label, box)
            assert cell.is_visible()
            text = cell.inner_text().strip()
            assert text.startswith("Rp ") and text[3:].replace(".", "").isdigit(), text
            shown = cell.evaluate("el => getComputedStyle(el, '::before').content")
            assert shown == f'"{label}"', shown
    # The widest figure here is a billion rupiah: still on screen, with its label.
    assert any(len(rows.nth(i).locator("td").nth(3).inner_text()) >= 16 for i in range(rows.count()))


def test_a_lost_connection_toast_keeps_ok_on_screen_and_two_errors_leave_one(small_phone, budi):
    old, _ = budi
    page = small_phone
    sign_in(page, "budi@contoh.id")
    page.goto("/pengaturan/tambah-kpj?segmen=PU")
    page.fill("#f-kpj", old.kpj)
    page.context.set_offline(True)
    page.click("button:has-text('KIRIM')")
    page.locator(".toast--error").wait_for()
    page.click("button:has-text('KIRIM')")
    page.wait_for_function("() => Boolean(document.querySelectorAll('#toasts .toast').length >= 1)")
    page.wait_for_timeout(200)
    assert page.locator("#toasts .toast").count() == 1
    assert focused(page)["inToast"]
    # However long a toast's text, it stays between the bars and its OK stays in sight.
    page.evaluate("""() => { const text = document.querySelector('#toasts .toast__text');
        text.textContent = 'Periksa sinyal Anda lalu coba lagi. '.repeat(60); }""")
    ok = page.locator("#toasts .toast__ok")
    box = ok.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 568 and box["x"] + box["width"] <= 320, box
    toast = page.locator("#toasts .toast").bounding_box()
    assert toast["y"] + toast["height"] <= 568 - 56, toast  # above the tab bar
    screenshot(page, "a11y-toast-320")
    ok.click()
    assert page.locator("#toasts .toast").count() == 0
    page.context.set_offline(False)


def test_a_registry_refusal_sits_at_the_top_of_the_form_with_focus_not_in_a_toast(small_phone, budi):
    _, stranger = budi
    page = small_phone
    sign_in(page, "budi@contoh.id")
    page.goto("/pengaturan/tambah-kpj?segmen=PU")
    for _ in range(2):  # two refusals in a row: one notice, no toast
        page.fill("#f-kpj", stranger.kpj)
        with page.expect_response("**/pengaturan/tambah-kpj"):
            page.click("button:has-text('KIRIM')")
        page.wait_for_function("() => Boolean(document.activeElement.closest('.form-notice'))")
    notice = page.locator("#segment-form form .form-notice")
    assert notice.count() == 1
    assert "KPJ tidak ditemukan atas NIK Anda" in notice.inner_text()
    assert notice.get_attribute("role") == "alert"
    assert page.locator("#toasts .toast").count() == 0
    assert focused(page)["inNotice"]
    top_bar = page.locator(".topbar").bounding_box()
    assert notice.bounding_box()["y"] >= top_bar["y"] + top_bar["height"]  # not scrolled under it
    audit(page)
    screenshot(page, "a11y-form-notice-320")


def test_focus_goes_to_the_first_error_field_after_a_failed_swap_and_to_the_toast_after_success(page, budi):
    old, _ = budi
    sign_in(page, "budi@contoh.id")
    page.goto("/pengaturan/tambah-kpj?segmen=PU")
    page.fill("#f-kpj", "12")
    with page.expect_response("**/pengaturan/tambah-kpj") as sent:
        page.click("button:has-text('KIRIM')")
    assert sent.value.status == 422
    page.wait_for_function("() => document.activeElement.id === 'f-kpj'")
    field = page.locator("#f-kpj")
    assert field.get_attribute("aria-invalid") == "true"
    described = field.get_attribute("aria-describedby").split()
    assert "e-kpj" in described and page.locator("#e-kpj").inner_text()
    top_bar = page.locator(".topbar").bounding_box()
    assert page.locator("label[for=f-kpj]").bounding_box()["y"] >= top_bar["y"] + top_bar["height"]
    page.fill("#f-kpj", old.kpj)
    page.click("button:has-text('KIRIM')")
    page.locator(".toast--success").wait_for()
    page.wait_for_function("() => document.activeElement.closest('.toast') !== null")
    assert page.locator("#toasts").get_attribute("aria-live") == "polite"
    audit(page)


def test_tambah_kpj_by_keyboard_alone(browser, live_server, budi):
    old, _ = budi
    context = phone(browser, live_server, SIZES["360x640"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/masuk")
        tab_to(page, "#f-email")
        page.keyboard.type("budi@contoh.id")
        page.keyboard.press("Tab")
        page.keyboard.type(factories.PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url("**/")
        page.locator(".toast--success").wait_for()  # Selamat datang
        page.goto("/pengaturan/tambah-kpj")
        tab_to(page, ".segment[href$='segmen=PU'], .segment[value=PU]")  # a link, or a button
        page.keyboard.press("Enter")
        page.wait_for_selector("input[name=segmen][value=PU]", state="attached")
        tab_to(page, "#f-kpj")
        page.keyboard.type(old.kpj)
        page.keyboard.press("Enter")
        page.locator(".toast--success").wait_for()
        assert "Transaksi berhasil" in page.locator(".toast--success").inner_text()
        page.wait_for_function("() => Boolean(document.activeElement.classList.contains('toast__ok'))")
        page.keyboard.press("Space")
        assert page.locator("#toasts .toast").count() == 0
        assert focused(page)["tag"] != "body"
        assert old.kpj in page.locator("#kpj-list").inner_text()
    finally:
        context.close()


def tab_to(page, selector: str, limit: int = 40) -> None:
    """Press Tab until selector has focus; fail if it never does."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never took focus in {limit} Tabs on {page.url}")


def test_a_whole_page_sent_back_with_an_error_puts_focus_on_it(page, budi):
    page.goto("/masuk")
    page.fill("#f-email", "budi@contoh.id")
    page.fill("#f-password", "salah-sandinya")
    page.click("button[type=submit]")
    page.locator(".form-error").wait_for()
    page.wait_for_function("() => Boolean(document.activeElement.classList.contains('form-error'))")
    assert page.locator(".form-error").get_attribute("role") == "alert"


def test_good_news_goes_by_itself_and_an_error_waits_for_ok(page, budi):
    old, _ = budi
    page.clock.install()
    sign_in(page, "budi@contoh.id")
    assert "Selamat datang" in page.locator("#toasts").inner_text()
    page.clock.run_for(9_000)
    assert page.locator("#toasts .toast").count() == 0
    page.goto("/pengaturan/tambah-kpj?segmen=PU")
    page.fill("#f-kpj", old.kpj)
    page.context.set_offline(True)
    page.click("button:has-text('KIRIM')")
    page.locator(".toast--error").wait_for()
    page.clock.run_for(60_000)
    assert page.locator("#toasts .toast--error").count() == 1
    page.context.set_offline(False)


def test_several_toasts_on_one_page_show_one_at_a_time(page, budi, app):
    """A page flashed twice (e.g. Akun aktif and a note about the NIK's date) queues them."""
    sign_in(page, "budi@contoh.id")
    page.goto("/")
    page.evaluate("""() => { const region = document.getElementById('toasts');
        for (const title of ['Pertama', 'Kedua']) {
          const toast = document.createElement('div'); toast.className = 'toast toast--info';
          toast.innerHTML = `<p class="toast__title">${title}</p><button type="button" class="toast__ok" data-dismiss>OK</button>`;
          region.append(toast); } }""")
    visible = page.locator("#toasts .toast:visible")
    assert visible.count() == 1 and "Pertama" in visible.inner_text()
    visible.locator(".toast__ok").click()
    assert page.locator("#toasts .toast:visible").count() == 1
    assert "Kedua" in page.locator("#toasts .toast:visible").inner_text()


def test_audit_names_each_kind_of_problem(page, live_server):
    page.goto("/offline")
    # Styles set through the DOM: the CSP refuses inline style attributes.
    page.evaluate("""() => {
        const add = (parent, tag, style, text) => {
          const el = document.createElement(tag); Object.assign(el.style, style);
          if (text) el.textContent = text; parent.append(el); return el; };
        const main = document.querySelector('main');
        add(main, 'input', {}).id = 'nameless';
        add(main, 'button', {width: '20px', height: '20px', padding: '0', border: '0'}, 'x');
        add(main, 'div', {width: '2000px', height: '1500px'});
        add(main, 'p', {}, 'Terakhir');
        add(document.body, 'div', {position: 'fixed', bottom: '0', left: '0', right: '0', height: '40vh', background: '#fff'});
    }""")
    with pytest.raises(AssertionError) as found:
        audit(page)
    message = str(found.value)
    assert "axe label" in message  # the input has no label
    assert "is 20×20px" in message
    assert "the page is" in message and "px wide" in message
    assert "under a bar" in message


_LINES = """(el) => { const range = document.createRange(); range.selectNodeContents(el);
    return new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size; }"""


def test_numbers_badges_buttons_and_the_bank_stay_whole_at_320(small_phone, world):
    """What a review found on a 320 px phone (issue 8): the masked NIK split over two lines,
    the "Perangkat ini" badge past its card's edge, "Unduh CSV" and "Cetak / PDF" on two
    lines each, the bank select cutting "Bank Rakyat Indonesia (BRI)" short."""
    page = small_phone
    sign_in(page, "rudi@contoh.id")
    page.goto("/profil")
    nik = page.locator("dl.facts dt:text-is('NIK') + dd")
    assert nik.evaluate(_LINES) == 1, "the masked NIK is on one line"
    assert nik.bounding_box()["x"] + nik.bounding_box()["width"] <= 320

    page.goto("/pengaturan/keamanan")
    badge = page.get_by_text("Perangkat ini", exact=True)
    card = page.locator(".kpj", has=badge).bounding_box()
    box = badge.bounding_box()
    assert card["x"] <= box["x"] and box["x"] + box["width"] <= card["x"] + card["width"], (box, card)

    page.goto("/")
    page.click("#kpj-list a >> nth=0")
    page.wait_for_url("**/kartu/*")
    for name in ("Unduh CSV", "Cetak / PDF"):
        assert page.get_by_role("link", name=name).evaluate(_LINES) == 1, f"{name} on one line"

    siti = factories.person(full_name="SITI AMINAH", gender="P")
    ended = factories.membership(siti, status="NONAKTIF", registered_on=date(2015, 1, 5), ended_on=date(2022, 3, 31))
    worked(ended, range(2015, 2022))
    factories.account(siti, ended, email="siti@contoh.id")
    db.session.commit()
    page.context.clear_cookies()
    sign_in(page, "siti@contoh.id")
    page.goto("/klaim")
    bank = page.locator("select[name=bank]")
    bank.select_option("BRI")
    room, text = bank.evaluate("""(el) => { const style = getComputedStyle(el);
        const context = document.createElement('canvas').getContext('2d');
        context.font = `${style.fontSize} ${style.fontFamily}`;
        return [el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
                context.measureText(el.selectedOptions[0].text).width]; }""")
    assert bank.evaluate("el => getComputedStyle(el).appearance") == "none"  # no native arrow in the text's room
    assert text <= room, f"Bank Rakyat Indonesia (BRI) needs {text}px, has {room}px"


def _luminance(rgb: str) -> float:
    channels = [int(part) / 255 for part in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_a_busy_or_disabled_button_keeps_aa_contrast(page, live_server):
    """axe leaves disabled controls out of its contrast check; "Memproses…" must be read."""
    page.goto("/masuk")
    for state in ("disabled", "htmx-request"):
        for kind in ("btn btn--primary", "btn"):
            found = page.evaluate("""([kind, state]) => { const button = document.createElement('button');
                button.className = kind; button.textContent = 'Memproses…';
                if (state === 'disabled') button.disabled = true; else button.classList.add(state);
                document.querySelector('main').append(button);
                const style = getComputedStyle(button);
                const background = style.backgroundColor === 'rgba(0, 0, 0, 0)'
                  ? getComputedStyle(document.querySelector('main')).backgroundColor : style.backgroundColor;
                const found = [style.color, background, style.opacity]; button.remove(); return found; }""", [kind, state])
            color, background, opacity = found
            assert opacity == "1", (kind, state)
            light, dark = sorted([_luminance(color), _luminance(background)], reverse=True)
            ratio = (light + 0.05) / (dark + 0.05)
            assert ratio >= 4.5, f"{kind} {state}: {color} on {background} is {ratio:.2f}:1"


def test_a_hidden_button_stays_hidden_without_javascript(browser, live_server, world):
    """.btn's display does not beat the hidden attribute: the print button that print.js
    shows is not there, doing nothing, in a browser without JavaScript."""
    pages = {}
    for javascript in (False, True):
        context = browser.new_context(viewport={"width": 320, "height": 568}, base_url=live_server,
                                      java_script_enabled=javascript, service_workers="block")
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, "rudi@contoh.id")
        page.goto("/kartu-digital/cetak")
        pages[javascript] = page.locator("[data-print]").is_visible()
        context.close()
    assert pages == {False: False, True: True}
