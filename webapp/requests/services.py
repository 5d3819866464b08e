"""What a participant files for an officer to decide (DESIGN §3.12, §3.14): Perbaikan data
(a card under their NIK whose biodata differs from the population record) and "Kartu ini
milik saya" (a card the registry does not show under their NIK).

Filing commits once: the request, its documents, a DIPROSES transaction for Riwayat and an
audit entry. A card never has two open corrections (a unique column decides under races);
an account never has more than MAX_OPEN_OWNERSHIP open ownership requests (its filings are
serialised on the account's row). An ownership filing never looks at the registry: its
answer cannot tell whether the KPJ exists or whose it is."""

from __future__ import annotations

import enum
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.datastructures import FileStorage

from webapp import audit, uploads
from webapp.extensions import db
from webapp.formatting import mask_name, tanggal
from webapp.forms import has_invisible
from webapp.identity import KPJ_PATTERN, FieldDifference, membership_differences
from webapp.kpj.services import Outcome, encode_differences, referenced_card
from webapp.models import (
    Account,
    MemberRequest,
    Membership,
    RequestDocument,
    RequestDocumentKind,
    RequestKind,
    RequestStatus,
    Transaction,
    TxKind,
    TxStatus,
)
from webapp.requests.decisions import Row

Errors = dict[str, str]

MAX_OPEN_OWNERSHIP = 3
# Filings per account (Flask-Limiter); REQUEST_FILING_LIMIT in the configuration overrides.
FILING_LIMIT = "10 per hour"
FIRST_YEAR = 1977  # Jamsostek's first members

DOCUMENT_LABELS = {
    RequestDocumentKind.KTP: "KTP",
    RequestDocumentKind.KARTU_KELUARGA: "Kartu Keluarga",
    RequestDocumentKind.SURAT_GANTI_NAMA: "Surat penetapan pengadilan atau surat catatan sipil "
    "tentang perubahan nama",
    RequestDocumentKind.FOTO_KARTU: "Foto kartu KPJ",
    RequestDocumentKind.SURAT_PERUSAHAAN: "Surat keterangan dari perusahaan",
}
OWNERSHIP_DOCUMENTS = (RequestDocumentKind.FOTO_KARTU, RequestDocumentKind.SURAT_PERUSAHAAN)

_SEPARATORS = re.compile(r"[\s.\-]")


class Refused(enum.StrEnum):
    NOT_YOURS = "NOT_YOURS"  # gone, or no longer under the user's NIK, or linked elsewhere
    ALREADY_LINKED = "ALREADY_LINKED"
    NOTHING_DIFFERS = "NOTHING_DIFFERS"
    CLOSED = "CLOSED"
    ALREADY_OPEN = "ALREADY_OPEN"  # an open request for this card already
    TOO_MANY_OPEN = "TOO_MANY_OPEN"
    BUSY = "BUSY"


@dataclass(frozen=True)
class Refusal:
    """Why nothing was filed. open_request: the user's open request it points at."""

    reason: Refused
    card: Membership | None = None
    open_request: MemberRequest | None = None


@dataclass(frozen=True)
class CorrectionPlan:
    """What a correction of the card will do: per differing field, the card's value (masked
    where personal) beside the population record's, and the documents it needs."""

    card: Membership
    differences: list[FieldDifference]
    rows: list[Row]
    documents: list[RequestDocumentKind]


@dataclass(frozen=True)
class OwnershipClaim:
    kpj: str
    employer_name: str
    worked_from: int
    worked_to: int
    document_kind: RequestDocumentKind
    document: uploads.Checked


# --- Perbaikan data -------------------------------------------------------------------------


def mismatch_kpj(account: Account, transaction_id: int | None) -> str | None:
    """The KPJ of the account's Tambah KPJ attempt that answered with a biodata mismatch."""
    return _attempt_kpj(account, transaction_id, Outcome.BIODATA_MISMATCH)


def not_found_kpj(account: Account, transaction_id: int | None) -> str | None:
    """The KPJ of the account's Tambah KPJ attempt that answered "tidak ditemukan"."""
    return _attempt_kpj(account, transaction_id, Outcome.NOT_FOUND)


def found_kpj(secret_key: str, account: Account, reference: str | None) -> str | None:
    """The KPJ of a Temukan KPJ lama card, by the reference the list offered it with."""
    card = referenced_card(secret_key, account, reference or "")
    return card.kpj if card is not None else None


def plan_correction(account: Account, kpj: str) -> CorrectionPlan | Refusal:
    """What correcting that card would do, or why it cannot be asked for."""
    card = db.session.scalar(select(Membership).where(Membership.kpj == kpj))
    if card is None or card.nik != account.nik or card.account_id not in (None, account.id):
        return Refusal(Refused.NOT_YOURS)
    if card.account_id == account.id:
        return Refusal(Refused.ALREADY_LINKED, card)
    if card.status_enum.is_closed:
        return Refusal(Refused.CLOSED, card)
    open_request = _open_correction(kpj)
    if open_request is not None:
        return Refusal(Refused.ALREADY_OPEN, card, _if_owned(open_request, account))
    differences = membership_differences(card, account.person)
    if not differences:
        return Refusal(Refused.NOTHING_DIFFERS, card)
    return CorrectionPlan(
        card=card,
        differences=differences,
        rows=[_row(difference.field, card, account) for difference in differences],
        documents=correction_documents(differences),
    )


def correction_documents(differences: list[FieldDifference]) -> list[RequestDocumentKind]:
    """KTP and Kartu Keluarga always; for another name, the letter that changed it."""
    kinds = [RequestDocumentKind.KTP, RequestDocumentKind.KARTU_KELUARGA]
    if any(difference.field == "full_name" for difference in differences):
        kinds.append(RequestDocumentKind.SURAT_GANTI_NAMA)
    return kinds


def file_correction(
    account: Account, kpj: str, files: Mapping[str, FileStorage]
) -> MemberRequest | Refusal | Errors:
    """Ask for the card's biodata to be corrected to the population record. Commits once."""
    plan = plan_correction(account, kpj)
    if isinstance(plan, Refusal):
        return plan
    checked, errors = check_documents(files, plan.documents)
    if errors:
        return errors
    request = MemberRequest(
        kind=RequestKind.CORRECTION,
        account_id=account.id,
        kpj=kpj,
        open_correction_kpj=kpj,
        differences=encode_differences(plan.differences),
    )
    filed = _file(account, request, checked, plan.card.segment)
    if filed is None:
        again = plan_correction(account, kpj)
        return again if isinstance(again, Refusal) else Refusal(Refused.BUSY)
    return filed


# --- Kartu ini milik saya -------------------------------------------------------------------


def parse_ownership(
    form: Mapping[str, str], files: Mapping[str, FileStorage], this_year: int
) -> OwnershipClaim | Errors:
    """The form's fields and its one document, checked. Errors are keyed by field."""
    errors: Errors = {}
    kpj = _SEPARATORS.sub("", form.get("kpj") or "")
    if not KPJ_PATTERN.fullmatch(kpj):
        errors["kpj"] = "Nomor KPJ harus 11 angka, seperti tertera di kartu peserta."
    employer = " ".join((form.get("perusahaan") or "").split())
    if not employer:
        errors["perusahaan"] = "Isi nama perusahaan yang mendaftarkan kartu ini."
    elif len(employer) > 150:
        errors["perusahaan"] = "Nama perusahaan paling panjang 150 karakter."
    elif has_invisible(employer):
        errors["perusahaan"] = (
            "Nama perusahaan berisi karakter yang tidak terlihat. Ketik ulang nama perusahaannya."
        )
    worked_from = _year(form.get("tahun_mulai"), this_year, "tahun_mulai", errors)
    worked_to = _year(form.get("tahun_selesai"), this_year, "tahun_selesai", errors)
    if worked_from and worked_to and worked_from > worked_to:
        errors["tahun_selesai"] = "Tahun selesai tidak boleh sebelum tahun mulai bekerja."
    kind_value = form.get("jenis_dokumen")
    kind = RequestDocumentKind(kind_value) if kind_value in _OWNERSHIP_VALUES else None
    if kind is None:
        errors["jenis_dokumen"] = "Pilih dokumen yang Anda unggah: foto kartu atau surat perusahaan."
    document = uploads.check(files.get("dokumen"), DOCUMENT_LABELS[kind] if kind else "dokumen")
    if isinstance(document, str):
        errors["dokumen"] = document
    if errors:
        return errors
    assert kind is not None and worked_from and worked_to and not isinstance(document, str)
    return OwnershipClaim(kpj, employer, worked_from, worked_to, kind, document)


_OWNERSHIP_VALUES = {kind.value for kind in OWNERSHIP_DOCUMENTS}


def file_ownership(account: Account, claim: OwnershipClaim) -> MemberRequest | Refusal:
    """File the request. Whatever the KPJ is (unknown, someone else's, linked elsewhere,
    the user's own), the outcome is the same: the registry is not consulted here."""
    request = MemberRequest(
        kind=RequestKind.OWNERSHIP,
        account_id=account.id,
        kpj=claim.kpj,
        employer_name=claim.employer_name,
        worked_from=claim.worked_from,
        worked_to=claim.worked_to,
    )
    filed = _file(account, request, {claim.document_kind: claim.document}, None)
    if isinstance(filed, Refusal):
        return filed
    return filed if filed is not None else Refusal(Refused.BUSY)


def _ownership_refusal(account: Account, kpj: str) -> Refusal | None:
    """Asked with the account's filings serialised (see _serialise)."""
    open_requests = list(
        db.session.scalars(
            select(MemberRequest).where(
                MemberRequest.account_id == account.id,
                MemberRequest.kind == RequestKind.OWNERSHIP,
                MemberRequest.status == RequestStatus.DIPROSES,
            )
        )
    )
    same = next((r for r in open_requests if r.kpj == kpj), None)
    if same is not None:
        return Refusal(Refused.ALREADY_OPEN, open_request=same)
    if len(open_requests) >= MAX_OPEN_OWNERSHIP:
        return Refusal(Refused.TOO_MANY_OPEN)
    return None


# --- Reading --------------------------------------------------------------------------------


def own_requests(account: Account) -> list[MemberRequest]:
    """The account's requests, newest first."""
    return list(
        db.session.scalars(
            select(MemberRequest)
            .where(MemberRequest.account_id == account.id)
            .order_by(MemberRequest.created_at.desc(), MemberRequest.id.desc())
        )
    )


def owned_request(account: Account, public_id: str) -> MemberRequest | None:
    return db.session.scalar(
        select(MemberRequest).where(
            MemberRequest.public_id == public_id, MemberRequest.account_id == account.id
        )
    )


def request_card(request: MemberRequest) -> Membership | None:
    """The card a request is about, once the user may know it: a correction's always, an
    ownership request's only after approval (before, not even whether it exists)."""
    if request.kind_enum is RequestKind.OWNERSHIP and request.status != RequestStatus.DISETUJUI:
        return None
    return db.session.scalar(select(Membership).where(Membership.kpj == request.kpj))


def open_ownership_count(account: Account) -> int:
    return db.session.scalar(
        select(func.count()).select_from(MemberRequest).where(
            MemberRequest.account_id == account.id,
            MemberRequest.kind == RequestKind.OWNERSHIP,
            MemberRequest.status == RequestStatus.DIPROSES,
        )
    ) or 0


# --- Internals ------------------------------------------------------------------------------


def check_documents(
    files: Mapping[str, FileStorage], kinds: list[RequestDocumentKind]
) -> tuple[dict[RequestDocumentKind, uploads.Checked], Errors]:
    """Each document checked as a claim's are (webapp/uploads.py); errors by field name."""
    checked: dict[RequestDocumentKind, uploads.Checked] = {}
    errors: Errors = {}
    for kind in kinds:
        result = uploads.check(files.get(field_name(kind)), DOCUMENT_LABELS[kind])
        if isinstance(result, str):
            errors[field_name(kind)] = result
        else:
            checked[kind] = result
    return checked, errors


def field_name(kind: RequestDocumentKind) -> str:
    return kind.value.lower()


def _file(
    account: Account,
    request: MemberRequest,
    documents: dict[RequestDocumentKind, uploads.Checked],
    segment: str | None,
) -> MemberRequest | Refusal | None:
    """Store the documents and write the request with them, its transaction and its audit
    entry in one commit. None when the database refused it (a race lost or a busy
    database); the stored files are removed then, and on any refusal."""
    stored: dict[RequestDocumentKind, str] = {}
    try:
        if request.kind_enum is RequestKind.OWNERSHIP:
            _serialise(account)
            refusal = _ownership_refusal(account, request.kpj)
            if refusal is not None:
                db.session.rollback()
                return refusal
        stored = {kind: uploads.store(checked) for kind, checked in documents.items()}
        request.public_id = secrets.token_urlsafe(16)
        request.status = RequestStatus.DIPROSES
        db.session.add(request)
        db.session.flush()
        transaction = Transaction(
            account_id=account.id,
            kind=TX_KINDS[request.kind_enum],
            status=TxStatus.DIPROSES,
            reason=request.kind,
            kpj=request.kpj,
            segment=segment,
            detail=request.public_id,
        )
        db.session.add(transaction)
        db.session.flush()
        request.transaction_id = transaction.id
        db.session.add_all(
            RequestDocument(
                public_id=secrets.token_urlsafe(16),
                request_id=request.id,
                kind=kind,
                stored_name=stored[kind],
                content_type=checked.content_type,
                size=len(checked.data),
            )
            for kind, checked in documents.items()
        )
        audit.record(
            f"request.{request.kind.lower()}.filed",
            account=account,
            target=f"request:{request.public_id}",
            after={"kind": request.kind, "documents": sorted(documents)},
        )
        db.session.commit()
    except BaseException as error:
        db.session.rollback()
        for name in stored.values():
            uploads.remove(name)
        if isinstance(error, (IntegrityError, OperationalError)):
            return None
        raise
    return request


TX_KINDS = {RequestKind.CORRECTION: TxKind.PERBAIKAN_DATA, RequestKind.OWNERSHIP: TxKind.KARTU_MILIK_SAYA}


def _serialise(account: Account) -> None:
    """Take the account's row for this transaction (a no-op UPDATE locks it on PostgreSQL
    and takes SQLite's write lock), so that two filings at once count open requests one
    after the other and never make one too many."""
    db.session.execute(
        update(Account)
        .where(Account.id == account.id)
        .values(phone=Account.phone)
        .execution_options(synchronize_session=False)
    )


def _attempt_kpj(account: Account, transaction_id: int | None, outcome: Outcome) -> str | None:
    if transaction_id is None:
        return None
    transaction = db.session.get(Transaction, transaction_id)
    if (
        transaction is None
        or transaction.account_id != account.id
        or transaction.kind != TxKind.TAMBAH_KPJ
        or transaction.reason != outcome
    ):
        return None
    return transaction.kpj


def _open_correction(kpj: str) -> MemberRequest | None:
    return db.session.scalar(select(MemberRequest).where(MemberRequest.open_correction_kpj == kpj))


def _if_owned(request: MemberRequest, account: Account) -> MemberRequest | None:
    return request if request.account_id == account.id else None


def _row(field: str, card: Membership, account: Account) -> Row:
    person = account.person
    match field:
        case "full_name":
            return Row("Nama Lengkap", card.full_name, person.full_name, True)
        case "birth_date":
            return Row("Tanggal Lahir", tanggal(card.birth_date), tanggal(person.birth_date), True)
        case _:
            # The mother's name is a secret question elsewhere: never shown in full here.
            return Row("Nama Ibu Kandung", mask_name(card.mother_name), mask_name(person.mother_name), True)


def _year(value: str | None, this_year: int, field: str, errors: Errors) -> int | None:
    text = (value or "").strip()
    if text.isascii() and text.isdigit() and FIRST_YEAR <= int(text) <= this_year:
        return int(text)
    label = "mulai" if field == "tahun_mulai" else "selesai"
    errors[field] = f"Tahun {label} bekerja: 4 angka, antara {FIRST_YEAR} dan {this_year}."
    return None
