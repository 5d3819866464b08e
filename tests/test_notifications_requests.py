"""Notifikasi of the officers' decisions on Perbaikan data and Kartu ini milik saya: each
decision writes one inbox entry worded from its code, linking to the request (and, on
approval, to Tambah KPJ), e-mailed without personal data."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import AuthActions, csrf_token
from tests.test_requests_decisions import filed, mismatch, officer, stray  # noqa: F401 (fixtures)
from webapp.extensions import db
from webapp.mail import wait_for_mail
from webapp.models import Notification, RequestKind
from webapp.notifications import messages
from webapp.requests import decisions


def decide(request, approve: bool) -> None:
    if approve:
        decisions.approve(request.public_id, officer())
    else:
        decisions.reject(request.public_id, officer(), "Foto KTP tidak terbaca.")


@pytest.mark.parametrize(
    ("kind", "approve", "title", "add_kpj"),
    [
        (RequestKind.CORRECTION, True, "Perbaikan data disetujui", True),
        (RequestKind.CORRECTION, False, "Perbaikan data ditolak", False),
        (RequestKind.OWNERSHIP, True, "Kartu sudah tercatat atas NIK Anda", True),
        (RequestKind.OWNERSHIP, False, "Permintaan kartu ditolak", False),
    ],
)
def test_a_decision_reaches_the_inbox_linking_to_the_request(
    app, client, mismatch, stray, smtp, kind, approve, title, add_kpj  # noqa: F811
):
    account, card = mismatch if kind is RequestKind.CORRECTION else stray
    request = filed(account, card.kpj, kind)
    decide(request, approve)

    note = db.session.scalars(select(Notification)).one()
    with app.test_request_context():
        message = messages.describe(note.kind, note.subject, note.detail)
    assert message.title == title
    assert message.url == f"/pengaturan/permintaan/{request.public_id}"
    assert (message.action == ("Tambah KPJ", "/pengaturan/tambah-kpj")) is add_kpj
    assert ("bisa ditambahkan" in message.text) is add_kpj
    for personal in (card.kpj, card.nik, card.mother_name, card.full_name, account.nik):
        assert personal not in f"{message.title} {message.text} {message.url}"

    wait_for_mail()
    [mail] = smtp.messages
    body = mail.get_payload(decode=True).decode()
    assert mail["Subject"] == "Ada kabar baru di KPJku" and "/notifikasi" in body
    for personal in (card.kpj, card.nik, card.mother_name, account.nik, request.public_id):
        assert personal not in body

    AuthActions(client).login(account.email)
    page = client.get("/notifikasi").get_data(as_text=True)
    assert title in page and ('href="/pengaturan/tambah-kpj"' in page) is add_kpj
    token = csrf_token(client, "/notifikasi")
    opened = client.post("/notifikasi/buka", data={"notifikasi": note.id, "csrf_token": token})
    assert opened.status_code == 303
    assert opened.headers["Location"] == f"/pengaturan/permintaan/{request.public_id}"
    assert client.get(opened.headers["Location"]).status_code == 200
