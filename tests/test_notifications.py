"""Notifikasi (DESIGN §3.15): the inbox, its unread count on the tab bar, marking read with
and without htmx, and the e-mail that follows a committed notification."""

from __future__ import annotations

import re
import secrets

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import AuthActions, csrf_token
from tests.querycount import count_queries
from webapp.balances.services import today
from webapp.claims import services as claims
from webapp.extensions import db
from webapp.formatting import waktu
from webapp.mail import wait_for_mail
from webapp.models import Account, Claim, Membership, Notification, NotificationKind
from webapp.notifications import inbox, messages, services
from webapp.notifications.services import notify

HTMX = {"HX-Request": "true"}


@pytest.fixture
def budi(app) -> Account:
    person = factories.person(full_name="BUDI SANTOSO", mother_name="SITI AMINAH")
    card = factories.membership(person)
    return factories.account(person, card, email="budi@contoh.id")


@pytest.fixture
def other(app) -> Account:
    return factories.account(factories.person(), email="lain@contoh.id")


def claim_of(account: Account, stage: str = "AGENDA") -> Claim:
    claim = Claim(
        public_id=secrets.token_urlsafe(16), account_id=account.id, kind="FULL", reason="PHK",
        stage=stage, gross=12_345_678, tax=0, net=12_345_678, bank_code="BRI",
        account_number="0123456789", account_holder="BUDI SANTOSO",
    )
    db.session.add(claim)
    db.session.commit()
    return claim


def inbox_of(account: Account) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification).where(Notification.account_id == account.id).order_by(Notification.id)
    ))


def unread(account: Account) -> int:
    return services.unread_count(account.id)


def notices(account: Account, count: int) -> list[Notification]:
    claim = claim_of(account)
    rows = [notify(account.id, NotificationKind.CLAIM_STAGE, claim.public_id, "PENETAPAN") for _ in range(count)]
    db.session.commit()
    return rows


# --- Service ------------------------------------------------------------------------------


def test_a_claim_move_writes_an_inbox_entry_with_the_stage_and_a_link_to_the_claim(app, budi):
    claim = claim_of(budi)
    claims.advance(claim.id, today())
    [entry] = inbox_of(budi)
    assert (entry.kind, entry.subject, entry.detail) == ("CLAIM_STAGE", claim.public_id, "PENETAPAN")
    with app.test_request_context():
        message = inbox.entry(entry).message
    assert message.title == "Klaim JHT: tahap Penetapan"
    assert message.url == f"/klaim/{claim.public_id}"
    assert unread(budi) == 1


def test_paid_and_rejected_claims_are_worded_from_their_codes(app, budi):
    with app.test_request_context():
        paid = messages.describe("CLAIM_PAID", "abc", None)
        rejected = messages.describe("CLAIM_REJECTED", "abc", None)
    assert paid.title == "Klaim JHT dibayar" and paid.url == "/klaim/abc"
    assert rejected.title == "Klaim JHT ditolak" and "alasan" in rejected.text


@pytest.mark.parametrize("end", ["rollback", "close"])
def test_a_rolled_back_change_leaves_no_entry_and_sends_no_mail(app, budi, smtp, end):
    notify(budi.id, NotificationKind.CLAIM_PAID, "abc")
    db.session.flush()
    getattr(db.session, end)()
    claim_of(budi)  # a later transaction that commits
    wait_for_mail()
    assert inbox_of(budi) == [] and smtp.messages == []


def test_texts_carry_no_personal_data(app, budi):
    claim = claim_of(budi)
    for kind in ("CLAIM_STAGE", "CLAIM_PAID", "CLAIM_REJECTED"):
        with app.test_request_context():
            message = messages.describe(kind, claim.public_id, "PEMBAYARAN")
        text = " ".join([message.title, message.text, message.url])
        for personal in (budi.nik, "SITI AMINAH", "12.345.678", "12345678", "0123456789"):
            assert personal not in text


def test_marking_read_is_the_owners_only_and_acts_once(app, budi, other):
    [entry] = notices(budi, 1)
    assert services.mark_read(other.id, entry.id) is None
    assert unread(budi) == 1
    first = services.mark_read(budi.id, entry.id).read_at
    assert first is not None
    assert services.mark_read(budi.id, entry.id).read_at == first, "the first read time stays"
    assert services.mark_all_read(budi.id) == 0


# --- The e-mail ---------------------------------------------------------------------------


def test_a_committed_notification_sends_one_mail_without_personal_data(app, runner, budi, smtp):
    claim = claim_of(budi)
    result = runner.invoke(args=["claims", "advance", str(claim.id)])  # outside any request
    assert result.exit_code == 0, result.output
    wait_for_mail()
    [mail] = smtp.messages
    assert mail["To"] == "budi@contoh.id"
    assert mail["Subject"] == "Ada kabar baru di KPJku"
    body = mail.get_payload(decode=True).decode()
    assert "http://127.0.0.1:5000/notifikasi" in body
    kpj = db.session.scalar(select(Membership.kpj).where(Membership.account_id == budi.id))
    for personal in (budi.nik, kpj, "SITI AMINAH", "BUDI SANTOSO", "12.345.678", "Rp", claim.public_id):
        assert personal not in body


def test_the_mail_link_in_a_request_uses_the_requests_address(app, budi, smtp):
    with app.test_request_context(base_url="https://kpjku.example"):
        notices(budi, 2)
    wait_for_mail()
    [mail] = smtp.messages  # one e-mail per account and commit
    assert "https://kpjku.example/notifikasi" in mail.get_payload(decode=True).decode()


# --- The inbox page -----------------------------------------------------------------------


def login(client, email="budi@contoh.id"):
    AuthActions(client).login(email)


def test_the_inbox_lists_newest_first_with_unread_marked_in_words(client, budi):
    older, newer = notices(budi, 2)
    services.mark_read(budi.id, older.id)
    login(client)
    page = client.get("/notifikasi").get_data(as_text=True)
    assert page.index(f'id="notifikasi-{newer.id}"') < page.index(f'id="notifikasi-{older.id}"')
    assert page.count(">Baru<") == 1 and "1 belum dibaca" in page
    assert "Lihat status klaim" in page and waktu(newer.created_at) in page  # Asia/Jakarta


def test_the_inbox_pages_like_riwayat(client, budi):
    notices(budi, inbox.PAGE_SIZE + 1)
    login(client)
    first = client.get("/notifikasi").get_data(as_text=True)
    assert first.count('<li id="notifikasi-') == inbox.PAGE_SIZE and "halaman=2" in first
    second = client.get("/notifikasi?halaman=2").get_data(as_text=True)
    assert second.count('<li id="notifikasi-') == 1
    assert client.get("/notifikasi?halaman=3").status_code == 404
    assert client.get("/notifikasi?halaman=x").status_code == 400


def test_the_inbox_needs_a_login(client):
    assert client.get("/notifikasi").status_code == 302


def test_the_tab_bar_shows_the_unread_count_with_one_query(client, budi):
    notices(budi, 2)
    login(client)
    with count_queries() as queries:
        page = client.get("/profil").get_data(as_text=True)
    assert 'Notifikasi <span class="hidden-label">(2 belum dibaca)</span>' in page
    assert '<span class="tabbar__badge">2</span>' in page
    assert sum("FROM notifications" in q for q in queries.statements) == 1


def test_the_badge_says_9_plus_over_nine(client, budi):
    notices(budi, 10)
    login(client)
    page = client.get("/").get_data(as_text=True)
    assert '<span class="tabbar__badge">9+</span>' in page
    assert 'Notifikasi <span class="hidden-label">(10 belum dibaca)</span>' in page


def test_no_count_without_unread_and_no_query_signed_out(client, budi):
    with count_queries() as queries:
        client.get("/masuk")
    assert not any("notifications" in q for q in queries.statements)
    login(client)
    page = client.get("/").get_data(as_text=True)
    assert 'class="tabbar__badge"' not in page and 'id="tab-notifikasi"' in page


@pytest.mark.parametrize("htmx", [False, True])
def test_tandai_dibaca(client, budi, htmx):
    first, second = notices(budi, 2)
    login(client)
    token = csrf_token(client, "/notifikasi")
    response = client.post(
        "/notifikasi/baca", data={"notifikasi": first.id, "csrf_token": token},
        headers=HTMX if htmx else {},
    )
    assert unread(budi) == 1
    if htmx:
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
        assert html.lstrip().startswith(f'<li id="notifikasi-{first.id}" class="notice">')
        assert 'id="tab-notifikasi"' in html and 'hx-swap-oob="true"' in html
        assert 'Notifikasi <span class="hidden-label">(1 belum dibaca)</span>' in html and "1 belum dibaca" in html
    else:
        assert response.status_code == 303 and response.headers["Location"] == "/notifikasi"


@pytest.mark.parametrize("htmx", [False, True])
def test_tandai_semua_dibaca(client, budi, htmx):
    notices(budi, 3)
    login(client)
    token = csrf_token(client, "/notifikasi")
    response = client.post("/notifikasi/baca-semua", data={"csrf_token": token}, headers=HTMX if htmx else {})
    assert unread(budi) == 0
    if htmx:
        html = response.get_data(as_text=True)
        assert '<section id="inbox"' in html and ">Baru<" not in html
        assert 'id="tab-notifikasi"' in html and 'class="tabbar__badge"' not in html
    else:
        assert response.status_code == 303
        assert 'class="tabbar__badge"' not in client.get("/notifikasi").get_data(as_text=True)


def test_opening_an_entry_marks_it_read_and_goes_to_its_page(client, budi):
    [entry] = notices(budi, 1)
    login(client)
    token = csrf_token(client, "/notifikasi")
    response = client.post("/notifikasi/buka", data={"notifikasi": entry.id, "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/klaim/{entry.subject}"
    assert unread(budi) == 0


@pytest.mark.parametrize("path", ["/notifikasi/baca", "/notifikasi/buka"])
def test_another_accounts_entry_is_a_404_and_stays_unread(client, budi, other, path):
    [entry] = notices(other, 1)
    login(client)
    token = csrf_token(client, "/notifikasi")
    for value in (entry.id, "x", "", "9" * 30):
        assert client.post(path, data={"notifikasi": value, "csrf_token": token}).status_code == 404
    assert unread(other) == 1


def test_a_post_without_csrf_changes_nothing(client, budi):
    [entry] = notices(budi, 1)
    login(client)
    assert client.post("/notifikasi/baca", data={"notifikasi": entry.id}).status_code == 400
    assert client.post("/notifikasi/baca-semua").status_code == 400
    assert unread(budi) == 1


def test_a_double_submit_acts_once(client, budi):
    [entry] = notices(budi, 1)
    login(client)
    token = csrf_token(client, "/notifikasi")
    data = {"notifikasi": entry.id, "csrf_token": token}
    assert client.post("/notifikasi/baca", data=data).status_code == 303
    db.session.expire_all()
    first = db.session.get(Notification, entry.id).read_at
    assert client.post("/notifikasi/baca", data=data).status_code == 303
    db.session.expire_all()
    assert db.session.get(Notification, entry.id).read_at == first
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1


def test_the_inbox_without_push_keys_has_no_push_panel(app, client, budi, monkeypatch):
    monkeypatch.setitem(app.extensions, "kpjku_vapid", None)
    login(client)
    page = client.get("/notifikasi").get_data(as_text=True)
    assert 'id="push"' not in page and "push.js" not in page


def test_the_inbox_offers_push_hidden_until_the_script_shows_it(app, client, budi):
    login(client)
    page = client.get("/notifikasi").get_data(as_text=True)
    assert re.search(r'<div id="push" class="panel push stack" hidden data-key="[A-Za-z0-9_-]{87}"', page)
    assert re.search(r'<script src="/static/js/push[^"]*\.js" defer>', page)


def test_without_public_url_a_cli_notification_stays_in_the_inbox_with_a_warning(
    app, runner, budi, smtp, monkeypatch, caplog
):
    monkeypatch.setitem(app.config, "PUBLIC_URL", None)
    claim = claim_of(budi)
    assert runner.invoke(args=["claims", "advance", str(claim.id)]).exit_code == 0
    wait_for_mail()
    assert smtp.messages == [] and unread(budi) == 1
    assert "Notification not delivered: RuntimeError" in caplog.text
