"""The demo's pending requests for the officers' queues: Agus asks for the correction of an
old card whose mother's name was mistyped (Perbaikan data), and Yuliana says that a card
registered under a mistyped NIK is hers (Kartu ini milik saya). Both are filed through the
participant's own services, with small generated documents, once: a request that exists
(whatever its status by now) is not filed again, so loading twice changes nothing. Siti's
mismatched card stays without a request, for a visitor to try the whole flow."""

from __future__ import annotations

import io

import sqlalchemy as sa
from PIL import Image, ImageDraw
from werkzeug.datastructures import FileStorage

from webapp.balances.services import today
from webapp.demo.dataset import AGUS, AGUS_FACTORY, YULIANA, YULIANA_FIRST, PersonSpec
from webapp.extensions import db
from webapp.models import Account, MemberRequest, RequestDocumentKind, RequestKind
from webapp.requests import services

CORRECTION = (AGUS, AGUS_FACTORY)
OWNERSHIP = (YULIANA, YULIANA_FIRST)


def file_pending() -> None:
    """File the two demo requests unless they were filed before. Each filing commits."""
    person, card = CORRECTION
    account = _account(person)
    if not _filed(account, card.kpj, RequestKind.CORRECTION):
        documents = {
            services.field_name(RequestDocumentKind.KTP): _file(_image("KTP"), "ktp.png"),
            services.field_name(RequestDocumentKind.KARTU_KELUARGA): _file(
                _pdf("KARTU KELUARGA"), "kk.pdf"
            ),
        }
        result = services.file_correction(account, card.kpj, documents)
        assert isinstance(result, MemberRequest), result
    person, card = OWNERSHIP
    account = _account(person)
    if not _filed(account, card.kpj, RequestKind.OWNERSHIP):
        assert card.employer is not None and card.ended_on is not None
        form = {
            "kpj": card.kpj,
            "perusahaan": card.employer.name,
            "tahun_mulai": str(card.registered_on.year),
            "tahun_selesai": str(card.ended_on.year),
            "jenis_dokumen": RequestDocumentKind.FOTO_KARTU.value,
        }
        files = {"dokumen": _file(_image("KARTU PESERTA"), "kartu.png")}
        parsed = services.parse_ownership(form, files, today().year)
        assert isinstance(parsed, services.OwnershipClaim), parsed
        result = services.file_ownership(account, parsed)
        assert isinstance(result, MemberRequest), result


def _account(person: PersonSpec) -> Account:
    return db.session.scalars(sa.select(Account).where(Account.nik == person.nik)).one()


def _filed(account: Account, kpj: str, kind: RequestKind) -> bool:
    return db.session.scalar(
        sa.select(MemberRequest.id).where(
            MemberRequest.account_id == account.id,
            MemberRequest.kpj == kpj,
            MemberRequest.kind == kind,
        ).limit(1)
    ) is not None


def _file(data: bytes, name: str) -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name)


def _picture(title: str) -> Image.Image:
    """A small card-shaped picture saying what it stands for (a demo, not a document)."""
    image = Image.new("RGB", (320, 200), (232, 240, 236))
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, 311, 191), outline=(16, 110, 70), width=3)
    draw.text((24, 40), title, fill=(16, 60, 40))
    draw.text((24, 80), "CONTOH DOKUMEN DEMO KPJku", fill=(90, 90, 90))
    return image


def _image(title: str) -> bytes:
    out = io.BytesIO()
    _picture(title).save(out, "PNG")
    return out.getvalue()


def _pdf(title: str) -> bytes:
    out = io.BytesIO()
    _picture(title).save(out, "PDF")
    return out.getvalue()
