"""The officers' decisions (webapp/requests/decisions.py): queue, review, approve, reject,
decide once, and nobody decides about themselves."""

from __future__ import annotations

import secrets
import threading
from datetime import date

import pyotp
import pytest
from sqlalchemy import func, select

from tests import factories as f
from webapp import audit
from webapp.extensions import db
from webapp.kpj.services import AddRequest, Outcome, add_kpj
from webapp.models import (
    AuditEntry,
    CardCorrection,
    MemberRequest,
    Membership,
    Notification,
    NotificationKind,
    Officer,
    RequestDocument,
    RequestDocumentKind,
    RequestKind,
    RequestStatus,
    Segment,
    Transaction,
    TxKind,
    TxStatus,
)
from webapp.requests import decisions
from webapp.requests.decisions import DecisionError


def officer(role: str = "reviewer", **overrides) -> Officer:
    values = dict(
        email=f"petugas{secrets.token_hex(4)}@bpjs.contoh.id",
        password_hash="x",
        role=role,
        totp_secret=pyotp.random_base32(),
        nik=None,
    )
    values.update(overrides)
    row = Officer(**values)
    db.session.add(row)
    db.session.commit()
    return row


def filed(account, kpj: str, kind: RequestKind, **overrides) -> MemberRequest:
    """A request as the participant's form files it (its transaction, one document)."""
    tx_kind = TxKind.PERBAIKAN_DATA if kind is RequestKind.CORRECTION else TxKind.KARTU_MILIK_SAYA
    request = MemberRequest(
        public_id=secrets.token_urlsafe(16),
        kind=kind,
        status=RequestStatus.DIPROSES,
        account_id=account.id,
        kpj=kpj,
        open_correction_kpj=kpj if kind is RequestKind.CORRECTION else None,
        **overrides,
    )
    db.session.add(request)
    db.session.flush()
    transaction = Transaction(
        account_id=account.id, kind=tx_kind, status=TxStatus.DIPROSES,
        reason=kind, detail=request.public_id,
    )
    db.session.add(transaction)
    db.session.flush()
    request.transaction_id = transaction.id
    db.session.add(
        RequestDocument(
            public_id=secrets.token_urlsafe(16), request_id=request.id,
            kind=RequestDocumentKind.KTP, stored_name=f"{secrets.token_hex(16)}.png",
            content_type="image/png", size=10,
        )
    )
    db.session.commit()
    return request


@pytest.fixture
def mismatch(app):
    """Rina's old card carries a misspelt name and another mother's name."""
    rina = f.person(full_name="RINA MARLINA", mother_name="SUMIATI", gender="P")
    active = f.membership(rina)
    old = f.membership(rina, full_name="RINA MARLENA", mother_name="SUMIYATI",
                       status="NONAKTIF", segment="BPU")
    account = f.account(rina, active)
    return account, old


@pytest.fixture
def stray(app):
    """Joko's old card, registered by his employer under someone else's NIK."""
    joko = f.person(full_name="JOKO WIDODO", mother_name="SUJIATMI")
    other = f.person(full_name="JOKO WIDADA", mother_name="SRI")
    account = f.account(joko, f.membership(joko))
    card = f.membership(other, full_name="JOKO W", mother_name="SUJIATMI",
                        birth_date=date(1980, 1, 1), status="NONAKTIF")
    db.session.commit()
    return account, card


def tx_of(request: MemberRequest) -> Transaction:
    return db.session.get(Transaction, request.transaction_id)


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_the_queue_holds_open_requests_of_its_kind_oldest_first(mismatch, stray):
    account, old = mismatch
    first = filed(account, old.kpj, RequestKind.CORRECTION)
    ownership = filed(stray[0], stray[1].kpj, RequestKind.OWNERSHIP)
    other = f.person()
    later = filed(f.account(other), f.membership(other, full_name="X").kpj, RequestKind.CORRECTION)
    decided = filed(f.account(f.person()), f.next_kpj(), RequestKind.CORRECTION,
                    )
    decisions.reject(decided.public_id, officer(), "Dokumen tidak terbaca.")
    assert [r.public_id for r in decisions.queue(RequestKind.CORRECTION)] == [
        first.public_id, later.public_id
    ]
    assert [r.public_id for r in decisions.queue(RequestKind.OWNERSHIP)] == [ownership.public_id]
    assert decisions.find(first.public_id).id == first.id
    assert decisions.find("nothing") is None


def test_review_shows_full_values_side_by_side_and_is_audited(mismatch):
    account, old = mismatch
    request = filed(account, old.kpj, RequestKind.CORRECTION)
    reviewer = officer()
    review = decisions.review(request.public_id, reviewer)
    assert review.requester.id == account.id and review.card.kpj == old.kpj
    assert review.person.nik == account.nik and review.refusal is None
    rows = {row.label: row for row in review.rows}
    assert list(rows) == ["NIK", "Nama Lengkap", "Tanggal Lahir", "Nama Ibu Kandung"]
    assert rows["NIK"].registered == rows["NIK"].population == account.nik
    assert not rows["NIK"].differs and not rows["Tanggal Lahir"].differs
    assert (rows["Nama Lengkap"].registered, rows["Nama Lengkap"].population) == (
        "RINA MARLENA", "RINA MARLINA"
    )
    assert rows["Nama Lengkap"].differs and rows["Nama Ibu Kandung"].differs
    assert rows["Nama Ibu Kandung"].registered == "SUMIYATI"
    assert [d.kind for d in review.documents] == ["KTP"]
    entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.officer_id, entry.member_nik, entry.target) == (
        "request.view", reviewer.id, account.nik, f"request:{request.public_id}"
    )
    assert decisions.review("nothing", reviewer) is None


def test_review_of_an_ownership_request_for_no_card(stray):
    account, _ = stray
    request = filed(account, f.next_kpj(), RequestKind.OWNERSHIP)
    review = decisions.review(request.public_id, officer())
    assert review.card is None
    assert all(row.registered == "–" and row.differs for row in review.rows)


def test_approving_a_correction_fixes_the_card_and_the_user_can_add_it(mismatch):
    account, old = mismatch
    request = filed(account, old.kpj, RequestKind.CORRECTION)
    reviewer = officer()
    decided = decisions.approve(request.public_id, reviewer)
    assert decided.status == RequestStatus.DISETUJUI and decided.open_correction_kpj is None
    assert decided.decided_by == reviewer.id and decided.decided_at is not None
    card = db.session.get(Membership, old.kpj)
    assert (card.full_name, card.mother_name) == ("RINA MARLINA", "SUMIATI")
    correction = db.session.scalars(select(CardCorrection)).one()
    assert (correction.old_full_name, correction.full_name) == ("RINA MARLENA", "RINA MARLINA")
    assert (correction.old_mother_name, correction.mother_name) == ("SUMIYATI", "SUMIATI")
    assert correction.old_nik == correction.nik == account.nik
    assert tx_of(request).status == TxStatus.BERHASIL
    note = db.session.scalars(select(Notification)).one()
    assert (note.account_id, note.kind, note.subject) == (
        account.id, NotificationKind.CORRECTION_APPROVED, request.public_id
    )
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "request.approve")).one()
    assert audit.values(entry.before)["full_name"] == "RINA MARLENA"
    assert audit.values(entry.after)["full_name"] == "RINA MARLINA"
    result = add_kpj(account, AddRequest(old.kpj, Segment.BPU))
    assert result.outcome is Outcome.LINKED


def test_approving_ownership_moves_the_card_under_the_requester_who_can_then_add_it(stray):
    account, card = stray
    wrong_nik = card.nik
    assert add_kpj(account, AddRequest(card.kpj, Segment.PU)).outcome is Outcome.NOT_FOUND
    request = filed(account, card.kpj, RequestKind.OWNERSHIP, employer_name="PT A",
                    worked_from=2001, worked_to=2005)
    decisions.approve(request.public_id, officer())
    moved = db.session.get(Membership, card.kpj)
    person = account.person
    assert (moved.nik, moved.full_name, moved.birth_date, moved.mother_name) == (
        person.nik, person.full_name, person.birth_date, person.mother_name
    )
    correction = db.session.scalars(select(CardCorrection)).one()
    assert (correction.old_nik, correction.nik) == (wrong_nik, account.nik)
    assert db.session.scalars(select(Notification.kind)).one() == NotificationKind.OWNERSHIP_APPROVED
    assert add_kpj(account, AddRequest(card.kpj, Segment.PU)).outcome is Outcome.LINKED


@pytest.mark.parametrize("change, message", [
    ("missing", "Tidak ada kartu"),
    ("linked", "terhubung ke akun peserta lain"),
    ("closed", "sudah ditutup"),
])
def test_ownership_approval_is_refused_when_the_card_cannot_move(stray, change, message):
    account, card = stray
    kpj = f.next_kpj() if change == "missing" else card.kpj
    if change == "linked":
        f.link(card, f.account(db.session.get(type(account.person), card.nik)))
    if change == "closed":
        card.status = "DIKLAIM"
    db.session.commit()
    request = filed(account, kpj, RequestKind.OWNERSHIP)
    with pytest.raises(DecisionError, match=message):
        decisions.approve(request.public_id, officer())
    assert decisions.find(request.public_id).status == RequestStatus.DIPROSES
    assert db.session.scalar(select(func.count()).select_from(CardCorrection)) == 0
    # The officer can still reject it.
    assert decisions.reject(request.public_id, officer(), "Kartu tidak dapat dipindahkan.").status == "DITOLAK"


@pytest.mark.parametrize("change, message", [
    ("moved", "tidak terdaftar atas NIK pemohon"),
    ("linked", "terhubung ke akun peserta lain"),
    ("closed", "sudah ditutup"),
])
def test_correction_approval_is_refused_when_the_card_changed_meanwhile(mismatch, change, message):
    account, old = mismatch
    request = filed(account, old.kpj, RequestKind.CORRECTION)
    if change == "moved":
        old.nik = f.person().nik
    if change == "linked":
        f.link(old, f.account(f.person()))
    if change == "closed":
        old.status = "DIGABUNG"
    db.session.commit()
    with pytest.raises(DecisionError, match=message):
        decisions.approve(request.public_id, officer())
    assert db.session.get(Membership, old.kpj).full_name == "RINA MARLENA"
    assert decisions.find(request.public_id).status == RequestStatus.DIPROSES


def test_rejecting_records_the_reason_fails_the_transaction_and_notifies(mismatch):
    account, old = mismatch
    request = filed(account, old.kpj, RequestKind.CORRECTION)
    reviewer = officer()
    decided = decisions.reject(request.public_id, reviewer, "  KTP tidak terbaca.  ")
    assert (decided.status, decided.decision_reason) == ("DITOLAK", "KTP tidak terbaca.")
    assert decided.open_correction_kpj is None  # a new request for the card may be filed
    assert tx_of(request).status == TxStatus.GAGAL
    assert db.session.scalars(select(Notification.kind)).one() == NotificationKind.CORRECTION_REJECTED
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "request.reject")).one()
    assert audit.values(entry.after) == {"reason": "KTP tidak terbaca."}
    assert db.session.get(Membership, old.kpj).full_name == "RINA MARLENA"


def test_ownership_rejection_notifies_its_own_kind(stray):
    account, card = stray
    request = filed(account, card.kpj, RequestKind.OWNERSHIP)
    decisions.reject(request.public_id, officer(), "Surat perusahaan tidak sah.")
    assert db.session.scalars(select(Notification.kind)).one() == NotificationKind.OWNERSHIP_REJECTED


@pytest.mark.parametrize("reason, message", [
    ("", "Tulis alasan"),
    ("   ", "Tulis alasan"),
    ("x" * 301, "paling panjang 300"),
    ("baris satu\nbaris dua", "tidak diizinkan"),
    ("tab\there", "tidak diizinkan"),
])
def test_a_rejection_needs_a_sane_reason(mismatch, reason, message):
    account, old = mismatch
    request = filed(account, old.kpj, RequestKind.CORRECTION)
    with pytest.raises(DecisionError, match=message):
        decisions.reject(request.public_id, officer(), reason)
    assert decisions.find(request.public_id).status == RequestStatus.DIPROSES
    assert "request.reject" not in actions()


def test_a_reason_of_exactly_300_characters_is_taken(mismatch):
    account, old = mismatch
    request = filed(account, old.kpj, RequestKind.CORRECTION)
    assert decisions.reject(request.public_id, officer(), "x" * 300).decision_reason == "x" * 300


def test_a_request_is_decided_once(mismatch):
    account, old = mismatch
    request = filed(account, old.kpj, RequestKind.CORRECTION)
    decisions.approve(request.public_id, officer())
    second = officer()
    assert decisions.may_decide(second, decisions.find(request.public_id)) == decisions.ALREADY_DECIDED
    with pytest.raises(DecisionError, match="sudah diputuskan"):
        decisions.reject(request.public_id, second, "Terlambat.")
    with pytest.raises(DecisionError, match="sudah diputuskan"):
        decisions.approve(request.public_id, second)
    assert actions().count("request.approve") == 1
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1


def test_concurrent_decisions_act_once(app, mismatch):
    account, old = mismatch
    public_id = filed(account, old.kpj, RequestKind.CORRECTION).public_id
    officer_ids = [officer().id for _ in range(3)]
    barrier, results = threading.Barrier(3, timeout=20), []

    def decide(officer_id: int, approving: bool) -> None:
        with app.app_context():
            me = db.session.get(Officer, officer_id)
            barrier.wait()
            try:
                if approving:
                    decisions.approve(public_id, me)
                else:
                    decisions.reject(public_id, me, "Tidak sesuai.")
                results.append("decided")
            except DecisionError as error:
                results.append(str(error))
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=decide, args=(officer_id, index != 1))
        for index, officer_id in enumerate(officer_ids)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.expire_all()
    assert results.count("decided") == 1
    assert all(r in ("decided", decisions.ALREADY_DECIDED) for r in results), results
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1
    decided_actions = [a for a in actions() if a in ("request.approve", "request.reject")]
    assert len(decided_actions) == 1
    assert db.session.scalar(select(func.count()).select_from(CardCorrection)) == (
        1 if decided_actions == ["request.approve"] else 0
    )


@pytest.mark.parametrize("who", ["own_email", "own_nik", "card_nik"])
def test_nobody_decides_about_themselves(stray, who):
    account, card = stray
    request = filed(account, card.kpj, RequestKind.OWNERSHIP)
    me = officer(
        email=account.email.upper() if who == "own_email" else "lain@bpjs.contoh.id",
        nik={"own_nik": account.nik, "card_nik": card.nik}.get(who),
    )
    assert decisions.may_decide(me, request) == decisions.ABOUT_THEMSELVES
    with pytest.raises(DecisionError, match="tentang diri Anda sendiri"):
        decisions.approve(request.public_id, me)
    with pytest.raises(DecisionError, match="tentang diri Anda sendiri"):
        decisions.reject(request.public_id, me, "Tidak.")
    assert decisions.review(request.public_id, me).refusal == decisions.ABOUT_THEMSELVES
    assert decisions.find(request.public_id).status == RequestStatus.DIPROSES


@pytest.mark.parametrize("role, may", [("reviewer", True), ("admin", True), ("claims", False)])
def test_only_roles_that_decide_requests_may(mismatch, role, may):
    account, old = mismatch
    request = filed(account, old.kpj, RequestKind.CORRECTION)
    me = officer(role)
    assert (decisions.may_decide(me, request) is None) is may
    if may:
        decisions.reject(request.public_id, me, "Tidak lengkap.")
    else:
        with pytest.raises(DecisionError, match="tidak berwenang"):
            decisions.reject(request.public_id, me, "Tidak lengkap.")


def test_an_inactive_officer_may_not_decide(mismatch):
    account, old = mismatch
    request = filed(account, old.kpj, RequestKind.CORRECTION)
    me = officer(active=False)
    with pytest.raises(DecisionError, match="tidak berwenang"):
        decisions.approve(request.public_id, me)


def test_an_unknown_request_cannot_be_decided(app):
    with pytest.raises(DecisionError, match="tidak ditemukan"):
        decisions.approve("nothing", officer())


def test_opening_a_document_is_audited(mismatch):
    account, old = mismatch
    request = filed(account, old.kpj, RequestKind.CORRECTION)
    doc = decisions.documents(request)[0]
    me = officer()
    assert decisions.document(doc.public_id, me).id == doc.id
    entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.officer_id, entry.member_nik, entry.target) == (
        "document.view", me.id, account.nik, f"document:{doc.public_id}"
    )
    assert decisions.document("nothing", me) is None
