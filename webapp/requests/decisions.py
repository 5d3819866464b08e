"""The officers' decisions on participants' requests (DESIGN §3.12, §3.14): the queue, the
side-by-side review, approval and rejection. The back office's pages call only these.

Each decision is taken once: a conditional UPDATE moves the request out of DIPROSES, so when
two officers (or one double tap) decide together, the database lets one of them through.
Everything a decision changes (the card, its CardCorrection, the request, its transaction,
the inbox entry, the audit entry) is written in one database transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from webapp import audit
from webapp.extensions import db
from webapp.formatting import tanggal
from webapp.forms import reason_error
from webapp.identity import normalise_name
from webapp.models import (
    Account,
    CardCorrection,
    KpjStatus,
    MemberRequest,
    Membership,
    NotificationKind,
    Officer,
    Person,
    RequestDocument,
    RequestKind,
    RequestStatus,
    Transaction,
    TxStatus,
    utcnow,
)
from webapp.notifications.services import notify
from webapp.permissions import Permission, about_themselves, allowed

NOT_ALLOWED = "Peran Anda tidak berwenang memutuskan permintaan peserta."
ABOUT_THEMSELVES = (
    "Anda tidak boleh memutuskan permintaan ini: permintaan ini tentang diri Anda sendiri. "
    "Serahkan kepada petugas lain."
)
ALREADY_DECIDED = "Permintaan ini sudah diputuskan. Muat ulang halaman untuk melihat keputusannya."
NOT_FOUND = "Permintaan tidak ditemukan."
BUSY = "Sistem sedang sibuk. Coba lagi sebentar lagi."

_NOTIFICATIONS = {
    (RequestKind.CORRECTION, RequestStatus.DISETUJUI): NotificationKind.CORRECTION_APPROVED,
    (RequestKind.CORRECTION, RequestStatus.DITOLAK): NotificationKind.CORRECTION_REJECTED,
    (RequestKind.OWNERSHIP, RequestStatus.DISETUJUI): NotificationKind.OWNERSHIP_APPROVED,
    (RequestKind.OWNERSHIP, RequestStatus.DITOLAK): NotificationKind.OWNERSHIP_REJECTED,
}


class DecisionError(Exception):
    """A decision that cannot be taken; str(error) is an Indonesian sentence for the officer."""


@dataclass(frozen=True)
class Row:
    label: str
    registered: str
    population: str
    differs: bool


@dataclass(frozen=True)
class Review:
    request: MemberRequest
    requester: Account
    person: Person
    card: Membership | None
    rows: list[Row]
    documents: list[RequestDocument]
    refusal: str | None


def queue(kind: RequestKind) -> list[MemberRequest]:
    """The requests of that kind waiting for a decision, oldest first."""
    return list(
        db.session.scalars(
            select(MemberRequest)
            .where(MemberRequest.kind == kind, MemberRequest.status == RequestStatus.DIPROSES)
            .order_by(MemberRequest.created_at, MemberRequest.id)
        )
    )


def find(public_id: str) -> MemberRequest | None:
    return db.session.scalar(select(MemberRequest).where(MemberRequest.public_id == public_id))


def review(public_id: str, officer: Officer) -> Review | None:
    """Everything the decision needs, in full. The view is audited (request.view). Commits."""
    request = find(public_id)
    if request is None:
        return None
    requester = db.session.get(Account, request.account_id)
    assert requester is not None  # a request's account is a foreign key
    card = _card(request.kpj)
    result = Review(
        request=request,
        requester=requester,
        person=requester.person,
        card=card,
        rows=_rows(card, requester.person),
        documents=documents(request),
        refusal=may_decide(officer, request),
    )
    audit.record(
        "request.view", officer=officer, member_nik=requester.nik, target=_target(request)
    )
    db.session.commit()
    return result


def documents(request: MemberRequest) -> list[RequestDocument]:
    return list(
        db.session.scalars(
            select(RequestDocument)
            .where(RequestDocument.request_id == request.id)
            .order_by(RequestDocument.id)
        )
    )


def may_decide(officer: Officer, request: MemberRequest) -> str | None:
    """None when the officer may decide the request now, else why not (a sentence)."""
    if not allowed(officer, Permission.DECIDE_REQUESTS):
        return NOT_ALLOWED
    niks = [
        db.session.scalar(select(Account.nik).where(Account.id == request.account_id)),
        db.session.scalar(select(Membership.nik).where(Membership.kpj == request.kpj)),
    ]
    if about_themselves(officer, account_id=request.account_id, niks=niks):
        return ABOUT_THEMSELVES
    if request.status != RequestStatus.DIPROSES:
        return ALREADY_DECIDED
    return None


def approve(public_id: str, officer: Officer) -> MemberRequest:
    """Correct the card to the requester's population record (and, for an ownership
    request, move it under the requester's NIK). Commits, or raises DecisionError."""
    request = _decidable(public_id, officer)
    requester = db.session.get(Account, request.account_id)
    assert requester is not None
    person = requester.person
    card = _card(request.kpj)
    problem = _card_problem(request, card, requester)
    if problem:
        raise DecisionError(problem)
    assert card is not None
    before = _biodata(card.nik, card.full_name, card.birth_date, card.mother_name)
    after = _biodata(person.nik, person.full_name, person.birth_date, person.mother_name)
    try:
        _close(request, officer, RequestStatus.DISETUJUI, None)
        if not _correct(card, requester, after):
            raise _Changed
        db.session.add(
            CardCorrection(
                kpj=card.kpj,
                request_id=request.id,
                old_nik=before["nik"],
                old_full_name=before["full_name"],
                old_birth_date=before["birth_date"],
                old_mother_name=before["mother_name"],
                **after,
            )
        )
        _finish(request, officer, TxStatus.BERHASIL, before=before, after=after)
        db.session.commit()
    except _Changed:
        db.session.rollback()
        raise DecisionError(
            "Data kartu baru saja berubah. Muat ulang halaman dan periksa lagi."
        ) from None
    except (IntegrityError, OperationalError):
        db.session.rollback()
        raise DecisionError(_after_race(public_id)) from None
    db.session.refresh(request)
    return request


def reject(public_id: str, officer: Officer, reason: str) -> MemberRequest:
    """Refuse the request with a reason the participant reads. Commits, or raises."""
    text = check_reason(reason)
    request = _decidable(public_id, officer)
    try:
        _close(request, officer, RequestStatus.DITOLAK, text)
        _finish(request, officer, TxStatus.GAGAL, before=None, after={"reason": text})
        db.session.commit()
    except (IntegrityError, OperationalError):
        db.session.rollback()
        raise DecisionError(_after_race(public_id)) from None
    db.session.refresh(request)
    return request


def check_reason(reason: str | None) -> str:
    """The rejection reason, trimmed, or DecisionError saying what is wrong with it."""
    problem = reason_error(reason)
    if problem:
        raise DecisionError(problem)
    return (reason or "").strip()


def document(public_id: str, officer: Officer) -> RequestDocument | None:
    """A request's document (by its own public id) for the officer to open; the view is
    audited (document.view). Commits. The caller sends it with uploads.send()."""
    row = db.session.execute(
        select(RequestDocument, MemberRequest, Account.nik)
        .join(MemberRequest, MemberRequest.id == RequestDocument.request_id)
        .join(Account, Account.id == MemberRequest.account_id)
        .where(RequestDocument.public_id == public_id)
    ).one_or_none()
    if row is None:
        return None
    found, request, nik = row
    audit.record(
        "document.view",
        officer=officer,
        member_nik=nik,
        target=f"document:{found.public_id}",
        after={"request": request.public_id, "kind": found.kind},
    )
    db.session.commit()
    return found


# --- Internals ------------------------------------------------------------------------------


class _Changed(Exception):
    """The card changed between the check and the update."""


def _decidable(public_id: str, officer: Officer) -> MemberRequest:
    request = find(public_id)
    if request is None:
        raise DecisionError(NOT_FOUND)
    refusal = may_decide(officer, request)
    if refusal:
        raise DecisionError(refusal)
    return request


def _card(kpj: str) -> Membership | None:
    return db.session.scalar(select(Membership).where(Membership.kpj == kpj))


def _card_problem(request: MemberRequest, card: Membership | None, requester: Account) -> str | None:
    reject_hint = " Tolak permintaan ini dengan alasan yang jelas bagi peserta."
    if card is None:
        return "Tidak ada kartu dengan KPJ ini di data kepesertaan." + reject_hint
    if card.account_id is not None and card.account_id != requester.id:
        return "Kartu ini sudah terhubung ke akun peserta lain." + reject_hint
    if card.status_enum.is_closed:
        return f"Kartu ini sudah ditutup ({card.status})." + reject_hint
    if request.kind_enum is RequestKind.CORRECTION and card.nik != requester.nik:
        return "Kartu ini sudah tidak terdaftar atas NIK pemohon." + reject_hint
    return None


def _correct(card: Membership, requester: Account, values: dict[str, object]) -> bool:
    """Set the card's biodata, provided it is still as checked: same NIK, linked to nobody
    else, not closed. False when it changed meanwhile."""
    result = db.session.execute(
        update(Membership)
        .where(
            Membership.kpj == card.kpj,
            Membership.nik == card.nik,
            or_(Membership.account_id.is_(None), Membership.account_id == requester.id),
            Membership.status.in_([KpjStatus.AKTIF, KpjStatus.NONAKTIF]),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(card)
    return result.rowcount == 1


def _close(
    request: MemberRequest, officer: Officer, status: RequestStatus, reason: str | None
) -> None:
    """The decision itself: DIPROSES → status, once."""
    result = db.session.execute(
        update(MemberRequest)
        .where(MemberRequest.id == request.id, MemberRequest.status == RequestStatus.DIPROSES)
        .values(
            status=status,
            open_correction_kpj=None,
            decided_by=officer.id,
            decided_at=utcnow(),
            decision_reason=reason,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise DecisionError(ALREADY_DECIDED)


def _finish(
    request: MemberRequest,
    officer: Officer,
    outcome: TxStatus,
    *,
    before: dict[str, object] | None,
    after: dict[str, object],
) -> None:
    status = RequestStatus.DISETUJUI if outcome is TxStatus.BERHASIL else RequestStatus.DITOLAK
    if request.transaction_id is not None:
        db.session.execute(
            update(Transaction)
            .where(Transaction.id == request.transaction_id)
            .values(status=outcome)
            .execution_options(synchronize_session=False)
        )
    notify(request.account_id, _NOTIFICATIONS[request.kind_enum, status], request.public_id)
    requester_nik = db.session.scalar(select(Account.nik).where(Account.id == request.account_id))
    audit.record(
        "request.approve" if status is RequestStatus.DISETUJUI else "request.reject",
        officer=officer,
        member_nik=requester_nik,
        target=_target(request),
        before=before,
        after=after,
    )


def _after_race(public_id: str) -> str:
    """What to say when the database refused our write: decided by someone else, or busy."""
    request = find(public_id)
    if request is not None and request.status != RequestStatus.DIPROSES:
        return ALREADY_DECIDED
    return BUSY


def _target(request: MemberRequest) -> str:
    return f"request:{request.public_id}"


def _biodata(nik: str, full_name: str, birth_date: date, mother_name: str) -> dict[str, object]:
    return {"nik": nik, "full_name": full_name, "birth_date": birth_date, "mother_name": mother_name}


def _rows(card: Membership | None, person: Person) -> list[Row]:
    """The card's registered biodata beside the population record, field by field."""
    fields = [
        ("NIK", card.nik if card else None, person.nik, lambda a, b: a == b, str),
        ("Nama Lengkap", card.full_name if card else None, person.full_name, _same_name, str),
        ("Tanggal Lahir", card.birth_date if card else None, person.birth_date,
         lambda a, b: a == b, tanggal),
        ("Nama Ibu Kandung", card.mother_name if card else None, person.mother_name,
         _same_name, str),
    ]
    return [
        Row(
            label=label,
            registered="–" if registered is None else shown(registered),
            population=shown(recorded),
            differs=registered is None or not same(registered, recorded),
        )
        for label, registered, recorded, same, shown in fields
    ]


def _same_name(a: str, b: str) -> bool:
    return normalise_name(a) == normalise_name(b)
