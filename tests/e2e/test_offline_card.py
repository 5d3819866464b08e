"""Kartu offline, by choice, in real Chromium with the service worker running: "Simpan di
perangkat" keeps that one card; without signal the offline page shows its name, KPJ and a QR
that still reads; "Coba lagi" reloads the page asked for; Hapus removes it, and so does
Keluar, by each of its three layers. Browsing every signed-in page keeps nothing personal on
the device; saving keeps the card and nothing more. Without script there is no dead button."""

from __future__ import annotations

import io
import json
import re
import socket
import struct
import threading
from datetime import date
from urllib.parse import urljoin, urlsplit

import pytest
import zxingcpp
from PIL import Image

from tests import factories
from tests.e2e.conftest import PHONE, screenshot, sign_in
from tests.e2e.test_installable import wait_until_controlled
from webapp.extensions import db
from webapp.models import Account

pytestmark = pytest.mark.e2e

SMALL_PHONE = {"width": 320, "height": 568}
KEY = "kpjku.kartu-offline"
COOKIE = "kartu_offline"
MONEY = re.compile(r"Rp\s?[1-9][\d.]*")
# Not pages: files, the public verification (another person's view), the dev mailbox.
NOT_PAGES = re.compile(r"(\.csv$|/dokumen/|^/v/|^/static/|^/kotak-keluar|^/keluar)")


@pytest.fixture
def budi(app):
    person = factories.person(full_name="BUDI SANTOSO", mother_name="SITI AMINAH")
    employer = factories.employer(name="PT Karya Bangun Nusantara")
    card = factories.membership(person, employer_npp=employer.npp, registered_on=date(2019, 7, 1))
    old = factories.membership(person, status="NONAKTIF", registered_on=date(2012, 2, 1))
    for month in range(1, 13):
        factories.contribution(card, date(2023, month, 1))
        factories.contribution(old, date(2013, month, 1))
    factories.jht_rate(2013, "6.50")
    factories.jht_rate(2023, "6.00")
    factories.account(person, card, old, email="budi@contoh.id")
    db.session.commit()
    return person, card, old


class Signal:
    """The phone's connection to the app: a TCP relay in front of the live server that can
    drop. Playwright's set_offline() does not reach a service worker's own fetches (microsoft/
    playwright#2311), so "no signal" is made here: every open connection is cut and new
    ones are reset, which is what a phone in a basement sees."""

    def __init__(self, target: str) -> None:
        self.target = ("127.0.0.1", urlsplit(target).port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.online = True
        self.lock = threading.Lock()
        self.open: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def off(self) -> None:
        with self.lock:
            self.online = False
            for sock in self.open:
                _reset(sock)
            self.open.clear()

    def on(self) -> None:
        self.online = True

    def close(self) -> None:
        self.off()
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            with self.lock:
                if not self.online:
                    _reset(client)
                    continue
                upstream = socket.create_connection(self.target)
                self.open |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _reset(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@pytest.fixture
def signal(live_server):
    relay = Signal(live_server)
    yield relay
    relay.close()


@pytest.fixture
def handset(browser, signal):
    """A phone's browser with the service worker allowed (the other e2e tests block it)."""
    context = browser.new_context(viewport=PHONE, base_url=signal.url, locale="id-ID", device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(10_000)
    csp: list[str] = []
    page.on("console", lambda message: "Content Security Policy" in message.text and csp.append(message.text))
    yield page
    context.close()
    assert csp == []


def no_signal(page, signal) -> None:
    signal.off()
    page.context.set_offline(True)


def signal_back(page, signal) -> None:
    signal.on()
    page.context.set_offline(False)


def sign_in_controlled(page) -> None:
    sign_in(page)
    wait_until_controlled(page)


def save_card(page) -> None:
    page.goto("/kartu-digital")
    status = page.locator("[data-device-copy] [data-status]")
    assert status.inner_text() == "Belum ada kartu yang tersimpan di perangkat ini."
    page.get_by_role("button", name="Simpan di perangkat").click()
    assert status.inner_text() != ""
    page.wait_for_function("() => document.querySelector('[data-status]').textContent.startsWith('Kartu tersimpan')")
    assert page.get_by_role("button", name="Hapus").is_visible()


def stored(page) -> dict | None:
    value = page.evaluate(f"() => localStorage.getItem('{KEY}')")
    return None if value is None else json.loads(value)


def marks(page) -> list[str]:
    return [c["value"] for c in page.context.cookies() if c["name"] == COOKIE]


def decode_qr(page) -> str:
    png = page.locator("[data-saved-card] .id-card__qr img").screenshot()
    [result] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return result.text


def no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def kpj_clear_of_the_qr(page) -> bool:
    """The whole KPJ shows: a number cut off under the QR is no use at the desk."""
    number = page.locator("[data-saved-card] .kpj__number").bounding_box()
    qr = page.locator("[data-saved-card] .id-card__qr").bounding_box()
    return number["x"] + number["width"] <= qr["x"]


def offline_page_ready(page) -> None:
    """After Keluar: Clear-Site-Data took the service worker and its cache too; the login
    page installs it again. The offline page is opened once online so that its script is in
    the cache whatever the worker precaches (a script missing offline would show no card
    either way, and prove nothing)."""
    wait_until_controlled(page)
    page.goto("/offline")
    assert page.locator("[data-no-card]").is_visible()


def log_out(page) -> None:
    page.goto("/pengaturan")
    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url("**/masuk")


def test_a_saved_card_shows_without_signal_and_hapus_removes_it(handset, budi, signal):
    person, card, _ = budi
    sign_in(handset)
    save_card(handset)
    screenshot(handset, "offline-01-kartu-tersimpan-390")
    saved = stored(handset)
    assert saved["kpj"] == card.kpj and saved["name"] == "BUDI SANTOSO" and marks(handset) == [saved["mark"]]

    no_signal(handset, signal)
    handset.goto("/kartu-digital")  # the service worker answers with the offline page
    assert handset.locator("h1").inner_text() == "Tidak ada koneksi"
    shown = handset.locator("[data-saved-card]")
    assert "BUDI SANTOSO" in shown.inner_text() and card.kpj in shown.inner_text()
    assert "Penerima Upah (PU)" in shown.inner_text()
    verify_url = decode_qr(handset)
    assert verify_url.startswith(f"{signal.url}/v/") and not re.search(r"\d{11,}", verify_url)
    assert handset.locator("[data-saved-note]").inner_text().startswith("Disimpan di perangkat ini pada ")
    assert no_sideways_scroll(handset) and kpj_clear_of_the_qr(handset)
    screenshot(handset, "offline-02-tanpa-sinyal-390")
    handset.set_viewport_size(SMALL_PHONE)
    assert no_sideways_scroll(handset) and kpj_clear_of_the_qr(handset)
    assert decode_qr(handset).startswith(f"{signal.url}/v/")
    hapus = handset.get_by_role("button", name="Hapus").bounding_box()
    retry = handset.get_by_role("button", name="Coba lagi").bounding_box()
    assert min(hapus["width"], hapus["height"], retry["width"], retry["height"]) >= 44
    screenshot(handset, "offline-03-tanpa-sinyal-320")

    # Coba lagi reloads the page asked for: still offline, the same; online, the card page.
    handset.get_by_role("button", name="Coba lagi").click()
    handset.wait_for_load_state()
    assert urlsplit(handset.url).path == "/kartu-digital" and handset.locator("h1").inner_text() == "Tidak ada koneksi"
    signal_back(handset, signal)
    handset.get_by_role("button", name="Coba lagi").click()
    handset.wait_for_url("**/kartu-digital")
    handset.locator("h1", has_text="Kartu digital").wait_for()
    assert handset.locator("[data-status]").inner_text().startswith("Kartu ini tersimpan di perangkat ini sejak ")

    no_signal(handset, signal)
    handset.goto("/")
    handset.get_by_role("button", name="Hapus").click()
    assert handset.locator("[data-removed]").inner_text() == "Kartu sudah dihapus dari perangkat ini."
    assert not handset.locator("[data-saved-card]").is_visible()
    assert stored(handset) is None and marks(handset) == []
    screenshot(handset, "offline-04-dihapus-320")
    handset.reload()
    assert handset.locator("[data-no-card]").is_visible()
    assert "Simpan di perangkat" in handset.locator("[data-no-card]").inner_text()
    signal_back(handset, signal)


def test_saving_another_card_replaces_the_first(handset, budi, signal):
    person, card, _ = budi
    sign_in(handset)
    save_card(handset)
    newer = factories.membership(person, segment="BPU", employer_npp=None, registered_on=date(2024, 5, 2))
    factories.link(newer, db.session.get(Account, card.account_id))
    db.session.commit()
    handset.reload()  # the digital card is now the newer one
    status = handset.locator("[data-status]")
    assert status.inner_text() == "Kartu lain tersimpan di perangkat ini. Menyimpan kartu ini akan menggantikannya."
    handset.get_by_role("button", name="Simpan di perangkat").click()
    handset.wait_for_function("() => document.querySelector('[data-status]').textContent.startsWith('Kartu tersimpan')")
    assert handset.evaluate("() => Object.keys(localStorage)") == [KEY]
    assert stored(handset)["kpj"] == newer.kpj and stored(handset)["segment"] == "Bukan Penerima Upah (BPU)"
    assert marks(handset) == [stored(handset)["mark"]]


def test_a_saved_card_whose_qr_has_expired_says_so_instead_of_showing_it(handset, budi, signal):
    _, card, _ = budi
    sign_in(handset)
    save_card(handset)
    handset.evaluate(
        """key => { const card = JSON.parse(localStorage.getItem(key));
                    card.valid_until = "2020-01-31"; card.valid_until_text = "31 Januari 2020";
                    localStorage.setItem(key, JSON.stringify(card)); }""",
        KEY,
    )
    no_signal(handset, signal)
    handset.goto("/")
    shown = handset.locator("[data-saved-card]")
    assert card.kpj in shown.inner_text() and "Kode QR kedaluwarsa" in shown.inner_text()
    assert shown.locator("img").count() == 0  # a QR that no longer verifies is not offered
    assert "sudah tidak berlaku sejak 31 Januari 2020" in handset.locator("[data-saved-note]").inner_text()
    signal_back(handset, signal)


def test_keluar_removes_the_saved_card(handset, budi, signal):
    sign_in(handset)
    save_card(handset)
    log_out(handset)
    assert stored(handset) is None and marks(handset) == []
    offline_page_ready(handset)
    no_signal(handset, signal)
    handset.goto("/")
    assert handset.locator("h1").inner_text() == "Tidak ada koneksi"
    assert handset.locator("[data-no-card]").is_visible() and not handset.locator("[data-saved-card]").is_visible()
    assert "BUDI" not in handset.content()
    signal_back(handset, signal)


def test_each_layer_of_keluar_alone_keeps_the_card_off_the_offline_page(handset, budi, signal):
    """Without the script's clearing, Chromium's Clear-Site-Data empties the storage; and a
    browser that kept the storage anyway has lost the cookie: the card is refused."""
    sign_in(handset)
    save_card(handset)
    saved = handset.evaluate(f"() => localStorage.getItem('{KEY}')")
    handset.goto("/pengaturan")
    handset.evaluate("() => document.querySelector('[data-forget-card]').removeAttribute('data-forget-card')")
    handset.get_by_role("button", name="Keluar").click()
    handset.wait_for_url("**/masuk")
    assert stored(handset) is None  # Clear-Site-Data: "storage"
    assert marks(handset) == []  # deleted by the server

    offline_page_ready(handset)
    handset.evaluate("([key, value]) => localStorage.setItem(key, value)", [KEY, saved])
    no_signal(handset, signal)
    handset.goto("/")
    assert handset.locator("[data-no-card]").is_visible() and "BUDI" not in handset.content()
    assert stored(handset) is None  # and the orphan is gone
    signal_back(handset, signal)


DUMP_STORAGE = """async () => {
  const caches_ = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      const type = response.headers.get("Content-Type") || "";
      caches_.push([request.url, type.startsWith("image/") ? "" : await response.text()]);
    }
  }
  const databases = indexedDB.databases ? await indexedDB.databases() : [];
  return {
    local: Object.fromEntries(Object.entries(localStorage)),
    session: Object.fromEntries(Object.entries(sessionStorage)),
    caches: caches_,
    indexedDB: databases.map(db => db.name),
  };
}"""


def crawl_signed_in_pages(page, origin: str) -> set[str]:
    """Every page reachable by a link from Beranda while signed in."""
    seen: set[str] = set()
    queue = ["/"]
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(path)
        assert response.ok, path
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            url = urlsplit(urljoin(f"{origin}{path}", href))
            target = url.path + (f"?{url.query}" if url.query else "")
            if url.netloc == urlsplit(origin).netloc and not NOT_PAGES.search(url.path) and target not in seen:
                queue.append(target)
    return seen


def test_browsing_keeps_nothing_personal_on_the_device_and_saving_keeps_only_the_card(handset, budi, signal):
    person, card, old = budi
    sign_in(handset)
    balances = set(MONEY.findall(handset.locator("main").inner_text()))
    assert balances, "Beranda shows a balance"
    pages = crawl_signed_in_pages(handset, signal.url)
    assert {"/", "/profil", "/pengaturan", "/riwayat", "/kartu-digital", "/klaim", "/pengaturan/keamanan"} <= pages
    assert any(path.startswith("/kartu/") for path in pages)
    personal = {"BUDI", card.kpj, old.kpj, person.nik, "SITI AMINAH", "Karya Bangun", "budi@contoh.id", *balances}

    def leaks(dump: dict) -> set[str]:
        text = json.dumps(dump, ensure_ascii=False)
        return {value for value in personal if value in text}

    before = handset.evaluate(DUMP_STORAGE)
    assert before["caches"], "the service worker has stored its static files"
    assert leaks(before) == set()
    assert before["local"] == {} and before["indexedDB"] == []
    # htmx remembers the path it last swapped in (a path: never a number, DESIGN §7).
    assert set(before["session"]) <= {"htmx-current-path-for-history"}

    save_card(handset)
    after = handset.evaluate(DUMP_STORAGE)
    [(key, value)] = after["local"].items()
    assert key == KEY
    kept = json.loads(value)
    assert set(kept) == {"mark", "name", "kpj", "segment", "qr", "valid_until", "valid_until_text", "saved_on_text"}
    assert kept["name"] == "BUDI SANTOSO" and kept["kpj"] == card.kpj
    assert leaks({**after, "local": {}}) == set()  # everything but the card: as before
    assert leaks({"card": kept}) == {"BUDI", card.kpj}  # the card: its name and KPJ only


def test_without_script_there_is_no_dead_button(browser, live_server, budi):
    context = browser.new_context(
        viewport=SMALL_PHONE, base_url=live_server, locale="id-ID", device_scale_factor=1, java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto("/masuk")
        page.fill("#f-email", "budi@contoh.id")
        page.fill("#f-password", factories.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/")
        page.goto("/kartu-digital")
        assert not page.get_by_role("button", name="Simpan di perangkat").is_visible()
        assert not page.get_by_role("button", name="Hapus").is_visible()
        assert page.get_by_text("Menyimpan kartu di perangkat memerlukan JavaScript").is_visible()
        screenshot(page, "offline-05-kartu-tanpa-js-320")

        page.goto("/offline")
        assert not page.get_by_role("button", name="Hapus").is_visible()
        page.get_by_role("button", name="Coba lagi").click()  # a plain form to Beranda
        page.wait_for_url(re.compile(r"/\??$"))
        assert page.locator("h1").inner_text() == "Beranda"
    finally:
        context.close()
