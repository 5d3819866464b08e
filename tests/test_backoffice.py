"""The back office's pages (issue 9 point 4, 5): search, the request and claim queues and
their decisions through the views, the documents, the audit log and its filters, and the
audit entries each action and view writes. Access per role is tests/test_backoffice_access.py."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from tests import factories
from tests.conftest import csrf_token
from tests.test_officers import make_officer, sign_in
from tests.test_uploads import minimal_pdf, png
from webapp import uploads
from webapp.extensions import db
from webapp.requests import services as requests_services
from webapp.models import (
    Account,
    AppendOnlyError,
    AuditEntry,
    Claim,
    ClaimDocument,
    ClaimEvent,
    ClaimStage,
    Membership,
    MemberRequest,
    Officer,
    RequestDocument,
    RequestDocumentKind,
    Transaction,
    TxKind,
    TxStatus,
)


@dataclass
class World:
    requester: Account
    card_kpj: str
    request: MemberRequest
    request_document: RequestDocument
    claimant: Account
    claim: Claim
    claim_document: ClaimDocument

    def ids(self) -> dict[str, str]:
        return {
            "request": self.request.public_id,
            "request_document": self.request_document.public_id,
            "claim": self.claim.public_id,
            "claim_document": self.claim_document.public_id,
            "requester_nik": self.requester.nik,
        }


def _stored(data: bytes, label: str) -> tuple[str, str]:
    checked = uploads.check(FileStorage(io.BytesIO(data), filename="x"), label)
    assert not isinstance(checked, str), checked
    return uploads.store(checked), checked.content_type


def correction_request(requester: Account, card: Membership) -> MemberRequest:
    """An open Perbaikan data request of requester's card, filed through the participants'
    service with its KTP and Kartu Keluarga."""
    files = {
        requests_services.field_name(kind): FileStorage(io.BytesIO(png()), filename="foto.png", content_type="image/png")
        for kind in (RequestDocumentKind.KTP, RequestDocumentKind.KARTU_KELUARGA)
    }
    filed = requests_services.file_correction(requester, card.kpj, files)
    assert isinstance(filed, MemberRequest), filed
    return filed


def open_claim(claimant: Account, stage: ClaimStage = ClaimStage.AGENDA) -> Claim:
    claim = Claim(
        public_id=secrets.token_urlsafe(16), account_id=claimant.id, open_account_id=claimant.id,
        kind="FULL", reason="MENGUNDURKAN_DIRI", stage=stage, gross=12_000_000, tax=0, net=12_000_000,
        bank_code="BRI", account_number="0123456789", account_holder=claimant.person.full_name,
    )
    db.session.add(claim)
    db.session.flush()
    db.session.add(ClaimEvent(claim_id=claim.id, stage=ClaimStage.AGENDA))
    db.session.add(Transaction(account_id=claimant.id, kind=TxKind.KLAIM_JHT, status=TxStatus.DIPROSES,
                               reason="FULL", detail=claim.public_id))
    name, content_type = _stored(minimal_pdf(), "KTP")
    db.session.add(ClaimDocument(public_id=secrets.token_urlsafe(16), claim_id=claim.id, kind="KTP",
                                 stored_name=name, content_type=content_type, size=10))
    db.session.commit()
    return claim


def build_world() -> World:
    owner = factories.person(full_name="RINA MARLINA", mother_name="SITI AMINAH")
    card = factories.membership(owner, mother_name="SITI AMINA", status="NONAKTIF")
    requester = factories.account(owner, email="rina@contoh.id")
    request = correction_request(requester, card)
    claimant_person = factories.person(full_name="JOKO SUSILO")
    claimant = factories.account(claimant_person, email="joko@contoh.id")
    claim = open_claim(claimant)
    return World(
        requester=requester,
        card_kpj=card.kpj,
        request=request,
        request_document=db.session.scalar(select(RequestDocument)),
        claimant=claimant,
        claim=claim,
        claim_document=db.session.scalar(select(ClaimDocument)),
    )


def officer_client(app, role: str, **overrides) -> tuple[FlaskClient, Officer]:
    client = app.test_client()
    officer = make_officer(role, **overrides)
    sign_in(client, officer)
    return client, officer


def post(client: FlaskClient, path: str, **data: str):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/petugas/")})


def audited(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def rows(html: str) -> str:
    """The audit log's entries: the filters' options list every action too."""
    start = '<ol class="entry-list">'
    return html.split(start, 1)[1].split("</ol>", 1)[0] if start in html else ""


# --- dashboard ------------------------------------------------------------------------------


def test_the_dashboard_counts_the_queues_of_the_officers_role(app):
    build_world()
    reviewer, _ = officer_client(app, "reviewer")
    html = reviewer.get("/petugas/").get_data(as_text=True)
    assert "Perbaikan data" in html and "Kartu milik saya" in html and "Klaim JHT" not in html
    assert '<span class="count">1</span>' in html
    claims, _ = officer_client(app, "claims")
    html = claims.get("/petugas/").get_data(as_text=True)
    assert "Klaim JHT" in html and "/petugas/perbaikan-data" not in html
    admin, _ = officer_client(app, "admin")
    html = admin.get("/petugas/").get_data(as_text=True)
    assert html.count('<span class="count">1</span>') == 2 and "Log audit" in html


# --- search ---------------------------------------------------------------------------------


def test_search_by_nik_shows_the_member_masked_and_is_audited(app):
    world = build_world()
    client, officer = officer_client(app, "claims")
    response = post(client, "/petugas/cari", nomor=world.requester.nik)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "RINA MARLINA" in html
    assert world.requester.nik not in html and world.requester.nik[-4:] in html
    assert "rina@contoh.id" not in html and "r•••@contoh.id" in html
    assert world.card_kpj not in html  # searched by NIK: every KPJ masked
    assert "Perbaikan data" in html  # the open request, shown, not linked for this role
    assert f"/petugas/permintaan/{world.request.public_id}" not in html
    [entry] = audited("member.search")
    assert (entry.officer_id, entry.member_nik) == (officer.id, world.requester.nik)


def test_search_by_kpj_shows_that_kpj_and_links_what_the_role_may_open(app):
    world = build_world()
    client, _ = officer_client(app, "admin")
    html = post(client, "/petugas/cari", nomor=f"{world.card_kpj[:4]} {world.card_kpj[4:]}").get_data(as_text=True)
    assert world.card_kpj in html
    assert f"/petugas/permintaan/{world.request.public_id}" in html


def test_search_of_an_unknown_number_says_not_found_and_audits_nothing(app):
    build_world()
    client, _ = officer_client(app, "reviewer")
    html = post(client, "/petugas/cari", nomor="99999999999").get_data(as_text=True)
    assert "Tidak ditemukan" in html
    assert audited("member.search") == []


@pytest.mark.parametrize("typed", ["", "123", "1234567890123", "abcdefghijk", "12345678901234567"])
def test_search_refuses_a_partial_number_with_a_field_error(app, typed):
    client, _ = officer_client(app, "reviewer")
    response = post(client, "/petugas/cari", nomor=typed)
    assert response.status_code == 422
    assert "KPJ (11 angka) atau NIK (16 angka)" in response.get_data(as_text=True)
    assert audited("member.search") == []


def test_the_number_searched_never_lands_in_a_url(app):
    world = build_world()
    client, _ = officer_client(app, "admin")
    html = post(client, "/petugas/cari", nomor=world.requester.nik).get_data(as_text=True)
    assert f"?nomor" not in html and 'method="post" action="/petugas/cari"' in html


# --- requests -------------------------------------------------------------------------------


def test_the_queue_lists_open_requests_oldest_first(app):
    world = build_world()
    second_owner = factories.person()
    second = correction_request(factories.account(second_owner), factories.membership(second_owner, mother_name="X"))
    client, _ = officer_client(app, "reviewer")
    html = client.get("/petugas/perbaikan-data").get_data(as_text=True)
    assert html.index(world.request.public_id) < html.index(second.public_id)
    assert "Tidak ada permintaan" in client.get("/petugas/kartu-milik-saya").get_data(as_text=True)


def test_the_request_page_shows_both_sides_and_marks_what_differs_in_words(app):
    world = build_world()
    client, officer = officer_client(app, "reviewer")
    html = client.get(f"/petugas/permintaan/{world.request.public_id}").get_data(as_text=True)
    assert "SITI AMINA" in html and "SITI AMINAH" in html
    assert 'class="differs"' in html and "Berbeda" in html  # not by colour alone
    assert f"/petugas/dokumen/{world.request_document.public_id}" in html
    assert "Setujui" in html and "Tolak" in html
    [entry] = audited("request.view")
    assert entry.officer_id == officer.id and entry.member_nik == world.requester.nik


def test_approving_goes_back_to_the_queue_with_a_toast_and_corrects_the_card(app):
    world = build_world()
    client, officer = officer_client(app, "reviewer")
    response = post(client, f"/petugas/permintaan/{world.request.public_id}/setujui")
    assert response.status_code == 303 and response.headers["Location"] == "/petugas/perbaikan-data"
    assert "Permintaan disetujui" in client.get("/petugas/perbaikan-data").get_data(as_text=True)
    assert db.session.get(Membership, world.card_kpj).mother_name == "SITI AMINAH"
    db.session.refresh(world.request)
    assert world.request.status == "DISETUJUI" and world.request.decided_by == officer.id
    assert audited("request.approve")[0].officer_id == officer.id
    again = post(client, f"/petugas/permintaan/{world.request.public_id}/setujui")
    assert again.status_code == 409 and "sudah diputuskan" in again.get_data(as_text=True)


def test_rejecting_needs_a_reason_shown_in_the_form(app):
    world = build_world()
    client, _ = officer_client(app, "reviewer")
    response = post(client, f"/petugas/permintaan/{world.request.public_id}/tolak", alasan="  ")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="e-alasan"' in html and "alasan penolakan" in html.lower()
    db.session.refresh(world.request)
    assert world.request.status == "DIPROSES"
    done = post(client, f"/petugas/permintaan/{world.request.public_id}/tolak", alasan="KTP tidak terbaca.")
    assert done.status_code == 303
    db.session.refresh(world.request)
    assert (world.request.status, world.request.decision_reason) == ("DITOLAK", "KTP tidak terbaca.")


def test_an_officer_never_decides_about_their_own_nik(app):
    world = build_world()
    client, _ = officer_client(app, "admin", nik=world.requester.nik)
    html = client.get(f"/petugas/permintaan/{world.request.public_id}").get_data(as_text=True)
    assert "diri Anda sendiri" in html
    assert "/setujui" not in html and "/tolak" not in html
    forged = post(client, f"/petugas/permintaan/{world.request.public_id}/setujui")
    assert forged.status_code == 409 and "diri Anda sendiri" in forged.get_data(as_text=True)
    forged = post(client, f"/petugas/permintaan/{world.request.public_id}/tolak", alasan="Saya tolak.")
    assert forged.status_code == 409
    db.session.refresh(world.request)
    assert world.request.status == "DIPROSES"
    assert audited("request.approve") == audited("request.reject") == []


def test_an_unknown_request_is_a_404_on_the_officers_error_page(app):
    client, _ = officer_client(app, "reviewer")
    response = client.get("/petugas/permintaan/tidak-ada")
    assert response.status_code == 404 and "Kembali ke dasbor" in response.get_data(as_text=True)
    assert post(client, "/petugas/permintaan/tidak-ada/setujui").status_code == 404


def test_a_page_the_role_lacks_is_a_plain_officer_403(app):
    client, _ = officer_client(app, "reviewer")
    response = client.get("/petugas/audit")
    html = response.get_data(as_text=True)
    assert response.status_code == 403 and "Akses ditolak" in html and "Kembali ke dasbor" in html


# --- documents ------------------------------------------------------------------------------


def test_documents_are_downloads_and_every_view_is_audited(app):
    world = build_world()
    client, officer = officer_client(app, "admin")
    response = client.get(f"/petugas/dokumen/{world.request_document.public_id}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Content-Disposition"].startswith("attachment")
    response = client.get(f"/petugas/dokumen/{world.claim_document.public_id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    entries = audited("document.view")
    assert [entry.member_nik for entry in entries] == [world.requester.nik, world.claimant.nik]
    assert {entry.officer_id for entry in entries} == {officer.id}
    assert client.get("/petugas/dokumen/tidak-ada").status_code == 404


# --- claims ---------------------------------------------------------------------------------


def test_the_claim_page_shows_the_claim_masked_and_is_audited(app):
    world = build_world()
    client, officer = officer_client(app, "claims")
    html = client.get(f"/petugas/klaim/{world.claim.public_id}").get_data(as_text=True)
    assert "Rp 12.000.000" in html and "••••6789" in html and "0123456789" not in html
    assert world.claimant.nik not in html
    assert "Lanjutkan ke Penetapan" in html and "Tolak klaim" in html
    assert f"/petugas/dokumen/{world.claim_document.public_id}" in html
    [entry] = audited("claim.view")
    assert (entry.officer_id, entry.member_nik) == (officer.id, world.claimant.nik)


def test_a_double_post_moves_the_claim_one_stage(app):
    world = build_world()
    client, officer = officer_client(app, "claims")
    path = f"/petugas/klaim/{world.claim.public_id}"
    first = post(client, path, tahap="AGENDA", aksi="lanjut")
    second = post(client, path, tahap="AGENDA", aksi="lanjut")
    assert first.status_code == 303 and first.headers["Location"] == "/petugas/klaim"
    assert second.status_code == 303 and second.headers["Location"] == path
    db.session.refresh(world.claim)
    assert world.claim.stage == "PENETAPAN"
    assert len(db.session.scalars(select(ClaimEvent).where(ClaimEvent.claim_id == world.claim.id)).all()) == 2
    [entry] = audited("claim.advance")
    assert entry.officer_id == officer.id and entry.member_nik == world.claimant.nik
    assert "sudah berada di tahap Penetapan" in client.get(path).get_data(as_text=True)


def test_rejecting_a_claim_needs_a_reason(app):
    world = build_world()
    client, _ = officer_client(app, "claims")
    path = f"/petugas/klaim/{world.claim.public_id}"
    response = post(client, path, tahap="AGENDA", aksi="tolak", alasan="")
    assert response.status_code == 422 and "Tulis alasan penolakan" in response.get_data(as_text=True)
    db.session.refresh(world.claim)
    assert world.claim.stage == "AGENDA"
    assert post(client, path, tahap="AGENDA", aksi="tolak", alasan="Rekening bukan atas nama peserta.").status_code == 303
    db.session.refresh(world.claim)
    assert (world.claim.stage, world.claim.rejection_reason) == ("DITOLAK", "Rekening bukan atas nama peserta.")
    assert audited("claim.reject")


def test_an_officer_never_moves_their_own_claim(app):
    world = build_world()
    client, _ = officer_client(app, "claims", email=world.claimant.email)
    path = f"/petugas/klaim/{world.claim.public_id}"
    html = client.get(path).get_data(as_text=True)
    assert "klaim Anda sendiri" in html and "Lanjutkan ke" not in html
    assert post(client, path, tahap="AGENDA", aksi="lanjut").status_code == 303
    db.session.refresh(world.claim)
    assert world.claim.stage == "AGENDA"
    assert audited("claim.advance") == []


def test_the_cli_still_moves_claims_without_an_officer(app, runner):
    world = build_world()
    result = runner.invoke(args=["claims", "advance", str(world.claim.id)])
    assert result.exit_code == 0, result.output
    db.session.refresh(world.claim)
    assert world.claim.stage == "PENETAPAN"


# --- the audit log --------------------------------------------------------------------------


def test_the_audit_log_lists_newest_first_and_filters(app):
    world = build_world()
    reviewer, reviewer_officer = officer_client(app, "reviewer")
    reviewer.get(f"/petugas/permintaan/{world.request.public_id}")
    claims, _ = officer_client(app, "claims")
    claims.get(f"/petugas/klaim/{world.claim.public_id}")
    admin, _ = officer_client(app, "admin")
    html = admin.get("/petugas/audit").get_data(as_text=True)
    listed = rows(html)
    assert listed.index("claim.view") < listed.index("request.view")  # newest first
    assert world.requester.nik not in html and world.requester.nik[-4:] in listed
    assert reviewer_officer.email in listed
    by_member = rows(post(admin, "/petugas/audit", peserta=world.card_kpj).get_data(as_text=True))
    assert "request.view" in by_member and "claim.view" not in by_member
    by_officer = rows(post(admin, "/petugas/audit", petugas=str(reviewer_officer.id)).get_data(as_text=True))
    assert "request.view" in by_officer and "claim.view" not in by_officer
    by_action = rows(post(admin, "/petugas/audit", aksi="claim.view").get_data(as_text=True))
    assert "claim.view" in by_action and "request.view" not in by_action
    bad = post(admin, "/petugas/audit", peserta="123")
    assert bad.status_code == 422 and "KPJ (11 angka)" in bad.get_data(as_text=True)


def test_the_audit_log_pages(app):
    from webapp import audit
    from webapp.backoffice import auditlog

    for number in range(auditlog.PAGE_SIZE + 3):
        audit.record("test.entry", target=f"n:{number}")
    db.session.commit()
    admin, _ = officer_client(app, "admin")
    first = admin.get("/petugas/audit").get_data(as_text=True)
    assert "Berikutnya" in first and "Sebelumnya" not in first
    second = post(admin, "/petugas/audit", halaman="2").get_data(as_text=True)
    assert "Sebelumnya" in second and "Berikutnya" not in second


# --- append-only ----------------------------------------------------------------------------


def test_the_orm_refuses_to_change_or_delete_an_audit_row(app):
    build_world()
    officer_client(app, "admin")
    entry = db.session.scalar(select(AuditEntry))
    entry.action = "changed"
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    entry = db.session.scalar(select(AuditEntry))
    db.session.delete(entry)
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()


def test_on_postgresql_sql_itself_cannot_change_the_audit_log(app):
    """Runs in the PostgreSQL pass (on SQLite there is no trigger, and it checks the ORM
    guard is the only one: a plain UPDATE goes through there)."""
    build_world()
    officer_client(app, "admin")
    count = db.session.scalar(select(func.count()).select_from(AuditEntry))
    assert count > 0
    if db.engine.dialect.name != "postgresql":
        with db.engine.begin() as connection:
            assert connection.execute(sa.text("UPDATE audit_log SET action = action")).rowcount == count
        return
    for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DBAPIError):
            with db.engine.begin() as connection:
                connection.execute(sa.text(statement))
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == count




# --- claims.services.advance with an officer ------------------------------------------------


def test_advance_refuses_an_officer_whose_role_does_not_move_claims(app):
    from webapp.balances.services import today
    from webapp.claims import services as claims_services

    world = build_world()
    reviewer = make_officer("reviewer")
    with pytest.raises(claims_services.StageError, match="Peran Anda"):
        claims_services.advance(world.claim.id, today(), officer=reviewer, expected="AGENDA")
    db.session.refresh(world.claim)
    assert world.claim.stage == "AGENDA" and audited("claim.advance") == []


def test_advance_refuses_an_officer_about_their_own_claim_by_nik(app):
    from webapp.balances.services import today
    from webapp.claims import services as claims_services

    world = build_world()
    own = make_officer("claims", nik=world.claimant.nik)
    with pytest.raises(claims_services.StageError, match="klaim Anda sendiri"):
        claims_services.advance(world.claim.id, today(), officer=own, expected="AGENDA")
    other = make_officer("claims")
    assert claims_services.advance(world.claim.id, today(), officer=other, expected="AGENDA").stage == "PENETAPAN"


def test_advance_moves_only_from_the_stage_the_officer_saw(app):
    from webapp.balances.services import today
    from webapp.claims import services as claims_services

    world = build_world()
    officer = make_officer("claims")
    claims_services.advance(world.claim.id, today(), officer=officer, expected="AGENDA")
    with pytest.raises(claims_services.StageError, match="Penetapan"):
        claims_services.advance(world.claim.id, today(), officer=officer, expected="AGENDA")
    with pytest.raises(claims_services.ReasonMissing):
        claims_services.advance(world.claim.id, today(), reject="  ", officer=officer, expected="PENETAPAN")
    db.session.refresh(world.claim)
    assert world.claim.stage == "PENETAPAN"
