"""The card page, its CSV statement and the printable statement: owner only."""

from __future__ import annotations

import csv
import io
import re
import secrets
from datetime import date

import pytest
import sqlalchemy as sa

from tests import factories as f
from tests.conftest import AuthActions
from tests.querycount import count_queries
from webapp import assets
from webapp.balances import services
from webapp.extensions import db
from webapp.models import Membership

AS_OF = date(2020, 7, 15)
PAGES = ["/kartu/{ref}", "/kartu/{ref}/laporan.csv", "/kartu/{ref}/cetak"]
CSRF_TOKEN = re.compile(rb'"X-CSRFToken": "[^"]+"')


@pytest.fixture
def today(monkeypatch):
    """Pin the ledger's day so the figures are the hand-worked ones."""

    def pin(day: date) -> None:
        monkeypatch.setattr(services, "today", lambda: day)

    pin(AS_OF)
    return pin


@pytest.fixture
def owner(app, today):
    """The hand-worked card of test_balances_services, linked to an account."""
    person = f.person()
    employer = f.employer(name="PT Sinar Harapan")
    card = f.membership(person, employer_npp=employer.npp, registered_on=date(2015, 9, 1))
    f.jht_rate(2016, "7.19")
    f.jht_rate(2018, "6.26")
    f.jht_rate(2019, "6.08")
    for on, jht in [
        (date(2015, 10, 10), 100_000), (date(2016, 3, 10), 200_000),
        (date(2016, 12, 5), 200_000), (date(2017, 7, 20), 300_000),
        (date(2019, 1, 31), 120_000), (date(2019, 6, 10), 120_000),
        (date(2020, 2, 10), 100_000), (date(2020, 7, 10), 100_000),
    ]:
        f.contribution(card, on, paid_on=on, jht=jht, jp=0)
    account = f.account(person, card)
    return account.email, card.link_ref


@pytest.fixture
def logged_in(client, auth, owner):
    """The logged-in owner's card ref."""
    email, ref = owner
    assert auth.login(email).status_code == 303
    return ref


def test_owner_sees_card_and_statement(client, logged_in):
    response = client.get(f"/kartu/{logged_in}")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    for text in [
        "Penerima Upah (PU)", "PT Sinar Harapan", "badge--aktif", "1 September 2015 – sekarang",
        "Juli 2020", "10 Juli 2020", "Rp 5.000.000",  # last contribution
        "Rp 1.424.471",  # credited balance
        "Estimasi pengembangan 2020: <span class=\"amount\">Rp 39.250</span>",
        "1.224.471", "1.463.721", "46.229",  # statement rows
        "7,19%*", "2017: tingkat tahun itu belum tersedia; dipakai tingkat tahun 2016 (7,19%)",
        "2020: tingkat tahun itu belum tersedia; dipakai tingkat tahun 2019 (6,08%)",
        "2015: belum ada tingkat pengembangan", "sampai akhir Juni 2020",
        "Belum ada iuran JP",
    ]:
        assert text in html, text
    assert f'href="/kartu/{logged_in}/laporan.csv"' in html
    assert f'href="/kartu/{logged_in}/cetak"' in html


def test_card_page_shows_pension_estimate(client, auth, today):
    today(date(2025, 7, 15))
    person = f.person(birth_date=date(1980, 6, 15))
    card = f.membership(person)
    for i in range(24):
        period = date(2023 + (6 + i) // 12, (6 + i) % 12 + 1, 1)
        f.contribution(card, period, wage=8_000_000)
    account = f.account(person, card)
    auth.login(account.email)

    html = client.get(f"/kartu/{card.link_ref}").get_data(as_text=True)

    for text in ["24 bulan", "65 tahun, 15 Juni 2045", "263 bulan (estimasi)",
                 "Estimasi manfaat pensiun bulanan", "Rp 1.753.333", "iuran dianggap berlanjut"]:
        assert text in html, text


def test_card_page_shows_lump_sum_under_180_months(client, auth, today):
    person = f.person(gender="P", birth_date=date(1967, 11, 2))
    card = f.membership(person, status="NONAKTIF")
    f.jht_rate(2019, "6.08")
    for month in range(1, 13):
        f.contribution(card, date(2019, month, 1), jp=150_000)
    account = f.account(person, card)
    auth.login(account.email)

    html = client.get(f"/kartu/{card.link_ref}").get_data(as_text=True)

    for text in ["belum mencapai 180 bulan", "Estimasi manfaat sekaligus", "Rp 1.906.404",
                 "masa iuran tetap seperti sekarang", "badge--nonaktif"]:
        assert text in html, text


def without_csrf_token(page: bytes) -> bytes:
    # The token is signed with a timestamp, so two requests a second apart differ in it.
    return CSRF_TOKEN.sub(b"", page)


@pytest.mark.parametrize("page", PAGES)
def test_someone_elses_card_and_unknown_card_are_the_same_404(client, auth, owner, page):
    _, ref = owner
    stranger = f.account(f.person())
    auth.login(stranger.email)
    client.get("/")  # shows the welcome toast, so neither response below carries it

    theirs = client.get(page.format(ref=ref))
    unknown = client.get(page.format(ref=secrets.token_urlsafe(16)))

    assert theirs.status_code == unknown.status_code == 404
    assert without_csrf_token(theirs.get_data()) == without_csrf_token(unknown.get_data())
    assert "1.424.471" not in theirs.get_data(as_text=True)


@pytest.mark.parametrize("page", PAGES)
def test_a_kpj_does_not_address_a_card_even_for_its_owner(client, logged_in, page):
    card = db.session.scalar(sa.select(Membership).where(Membership.link_ref == logged_in))
    assert client.get(page.format(ref=card.kpj)).status_code == 404


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_is_sent_to_login(client, owner, page):
    _, ref = owner
    response = client.get(page.format(ref=ref))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/masuk")


def test_csv_statement(client, logged_in):
    response = client.get(f"/kartu/{logged_in}/laporan.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    card = db.session.scalar(sa.select(Membership).where(Membership.link_ref == logged_in))
    # The file name tells cards apart by the last four digits only, like a masked KPJ.
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=laporan-jht-{card.kpj[-4:]}-2020-07-15.csv"
    )
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["Tahun", "Tingkat pengembangan", "Saldo awal (Rp)", "Iuran (Rp)",
                       "Mutasi (Rp)", "Pengembangan (Rp)", "Saldo akhir (Rp)", "Keterangan"]
    assert [row[:7] for row in rows[1:]] == [
        ["2015", "0,00%", "0", "100000", "0", "0", "100000"],
        ["2016", "7,19%", "100000", "400000", "0", "17975", "517975"],
        ["2017", "7,19%", "517975", "300000", "0", "46229", "864204"],
        ["2018", "6,26%", "864204", "0", "0", "54099", "918303"],
        ["2019", "6,08%", "918303", "240000", "0", "66168", "1224471"],
        ["2020", "6,08%", "1224471", "200000", "0", "39250", "1463721"],
    ]
    assert "tidak ada tingkat" in rows[1][7]
    assert rows[3][7] == "memakai tingkat tahun 2016"
    assert rows[6][7].startswith("estimasi, belum dikreditkan (per 15 Juli 2020)")


def test_print_page(client, logged_in):
    response = client.get(f"/kartu/{logged_in}/cetak")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # Fingerprinted names (webapp/assets.py).
    assert f'href="/static/{assets.current().fingerprinted("css/statement.css")}"' in html
    assert f'src="/static/{assets.current().fingerprinted("js/print.js")}"' in html
    assert "data-print" in html and "Simpan sebagai PDF" in html
    assert "Budi Santoso" in html and "Rp 1.424.471" in html
    # The CSP forbids inline script, and inline style but the stylesheet it allows by hash
    # (tests/test_assets.py checks the hash).
    assert "<script>" not in html and html.count("<style") == 1
    assert " onclick=" not in html and ' style="' not in html


def test_print_assets_are_served(client):
    with client.get("/static/css/statement.css") as css, client.get("/static/js/print.js") as js:
        assert css.status_code == js.status_code == 200
        assert "@media print" in css.get_data(as_text=True)
        assert "addEventListener" in js.get_data(as_text=True)


def page_queries(app, years: int) -> int:
    """Queries of the card page for a card paid monthly for `years` years."""
    client = app.test_client()
    person = f.person()
    card = f.membership(person, registered_on=date(2026 - years, 1, 1))
    for year in range(2026 - years, 2026):
        for month in range(1, 13):
            f.contribution(card, date(year, month, 1))
    account = f.account(person, card)
    AuthActions(client).login(account.email)
    client.get("/")  # the welcome toast
    path = f"/kartu/{card.link_ref}"  # not counted: the test's own object, reloaded
    with count_queries() as queries:
        response = client.get(path)
    assert response.status_code == 200
    assert "Rp " in response.get_data(as_text=True)
    return queries.count


def test_card_page_runs_a_fixed_number_of_queries(app, today):
    today(date(2026, 3, 1))
    for year in range(1990, 2026):
        f.jht_rate(year, "5.50")
    db.session.commit()
    # The session with its account and the tab bar's unread count, the owned card with its
    # employer, then the statement (paid amounts by month, entries, rates, last
    # contribution, JP months by wage) in one UNION ALL.
    ten_years = page_queries(app, 10)
    thirty_years = page_queries(app, 30)
    assert ten_years == thirty_years == 3, (ten_years, thirty_years)
