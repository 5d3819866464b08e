"""The demo's pending requests (webapp/demo/requests.py): one of each kind, filed once,
and a mismatched card left for the visitor."""

from __future__ import annotations

import sqlalchemy as sa

from tests.test_requests_decisions import officer
from webapp.demo import dataset, services
from webapp.demo.guide import logins_text
from webapp.extensions import db
from webapp.kpj.services import AddRequest, Outcome, add_kpj
from webapp.models import Account, MemberRequest, RequestDocument, Segment
from webapp.requests import decisions


def account(person) -> Account:
    return db.session.scalars(sa.select(Account).where(Account.nik == person.nik)).one()


def test_the_demo_files_one_pending_request_of_each_kind_once(app):
    assert services.load_demo().ok
    assert services.load_demo().ok
    db.session.expire_all()
    rows = db.session.scalars(sa.select(MemberRequest).order_by(MemberRequest.id)).all()
    assert [(r.kind, r.status, r.kpj) for r in rows] == [
        ("CORRECTION", "DIPROSES", dataset.AGUS_FACTORY.kpj),
        ("OWNERSHIP", "DIPROSES", dataset.YULIANA_FIRST.kpj),
    ]
    assert rows[0].account_id == account(dataset.AGUS).id
    assert rows[1].account_id == account(dataset.YULIANA).id
    kinds = db.session.scalars(sa.select(RequestDocument.kind).order_by(RequestDocument.id)).all()
    assert kinds == ["KTP", "KARTU_KELUARGA", "FOTO_KARTU"]
    assert [r.public_id for r in decisions.queue("CORRECTION")] == [rows[0].public_id]
    # The visitor's own mismatch card has no request.
    assert dataset.SITI_TEKSTIL.kpj not in {r.kpj for r in rows}


def test_the_demo_ownership_card_is_not_found_until_approved_then_adds(app):
    assert services.load_demo().ok
    yuliana, card = account(dataset.YULIANA), dataset.YULIANA_FIRST
    assert add_kpj(yuliana, AddRequest(card.kpj, Segment.PU)).outcome is Outcome.NOT_FOUND
    request = db.session.scalars(sa.select(MemberRequest).where(MemberRequest.kind == "OWNERSHIP")).one()
    decisions.approve(request.public_id, officer())
    assert add_kpj(yuliana, AddRequest(card.kpj, Segment.PU)).outcome is Outcome.LINKED
    assert services.load_demo().ok, "loading again after the decision files nothing new"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MemberRequest)) == 2


def test_the_logins_text_names_the_pending_requests(app):
    text = logins_text()
    assert dataset.AGUS_FACTORY.kpj in text and dataset.YULIANA_FIRST.kpj in text
    assert "Ajukan perbaikan data" in text and "Kartu ini milik saya" in text
