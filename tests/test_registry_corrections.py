"""The registry import respects approved corrections, and `registry corrections export`
hands them back to the core system (DESIGN §4)."""

from __future__ import annotations

import csv
import io
from datetime import date

import sqlalchemy as sa

from tests import factories
from tests.querycount import count_queries
from tests.test_registry_import import (
    KPJ_1,
    KPJ_2,
    NIK_A,
    NIK_B,
    invoke_import,
    membership_row,
    snapshot,
    valid_files,
    write_files,
)
from tests.test_requests_decisions import filed, officer
from webapp.extensions import db
from webapp.kpj.services import AddRequest, Outcome, add_kpj
from webapp.models import Account, AuditEntry, Membership, Person, RequestKind, Segment
from webapp.registry.services import MEMBERSHIPS, import_directory
from webapp.requests import decisions


def imported(tmp_path, **changed_rows):
    """valid_files() with memberships.csv rows replaced (by KPJ), imported."""
    files = valid_files()
    files["memberships.csv"] = [changed_rows.get(row["kpj"], row) for row in files["memberships.csv"]]
    directory = tmp_path / f"run{len(list(tmp_path.iterdir()))}"
    directory.mkdir()
    return import_directory(write_files(directory, files))


MISSPELT = dict(segment="BPU", employer_npp="", status="NONAKTIF", registered_on="2010-03-01",
                ended_on="2014-12-31", full_name="Budi Santosa", mother_name="Siti Aminah")


def corrected_card(tmp_path) -> Account:
    """KPJ_2 arrives misspelt; Budi asks for its correction and a reviewer approves it."""
    assert imported(tmp_path, **{KPJ_2: membership_row(KPJ_2, **MISSPELT)}).ok
    budi = factories.account(db.session.get(Person, NIK_A))
    decisions.approve(filed(budi, KPJ_2, RequestKind.CORRECTION).public_id, officer())
    assert db.session.get(Membership, KPJ_2).full_name == "Budi Santoso"
    return budi


def test_an_import_of_the_old_biodata_keeps_the_correction_and_other_columns_update(app, tmp_path, runner):
    corrected_card(tmp_path)
    files = valid_files()
    files["memberships.csv"][1] = membership_row(KPJ_2, **{**MISSPELT, "ended_on": "2015-01-31"})
    directory = tmp_path / "again"
    directory.mkdir()
    result = invoke_import(runner, write_files(directory, files))
    assert result.exit_code == 0, result.output
    assert "memberships: kept 1 corrected cards" in result.output
    db.session.expire_all()
    card = db.session.get(Membership, KPJ_2)
    assert (card.full_name, card.ended_on) == ("Budi Santoso", date(2015, 1, 31))


def test_the_result_counts_the_kept_cards(app, tmp_path):
    corrected_card(tmp_path)
    result = imported(tmp_path, **{KPJ_2: membership_row(KPJ_2, **MISSPELT)})
    assert result.ok and result.kept_corrected == 1
    assert result.changes["memberships.csv"].updated == 0, "nothing to write: already corrected"


def test_new_values_the_core_system_decided_are_taken(app, tmp_path):
    corrected_card(tmp_path)
    result = imported(tmp_path, **{KPJ_2: membership_row(KPJ_2, **{**MISSPELT, "full_name": "Budi S"})})
    assert result.ok and result.kept_corrected == 0
    db.session.expire_all()
    assert db.session.get(Membership, KPJ_2).full_name == "Budi S"


def test_an_ownership_move_survives_an_import_of_the_wrong_nik_and_the_card_stays_linked(app, tmp_path):
    # KPJ_3 is registered under Dewi's NIK (B); it is in fact Budi's.
    assert imported(tmp_path).ok
    budi = factories.account(db.session.get(Person, NIK_A))
    decisions.approve(filed(budi, "10000000003", RequestKind.OWNERSHIP).public_id, officer())
    assert add_kpj(budi, AddRequest("10000000003", Segment.JAKON)).outcome is Outcome.LINKED
    result = imported(tmp_path)
    assert result.ok and result.kept_corrected == 1
    db.session.expire_all()
    card = db.session.get(Membership, "10000000003")
    assert (card.nik, card.full_name, card.account_id) == (NIK_A, "Budi Santoso", budi.id)
    assert NIK_B != card.nik


def test_corrections_are_loaded_in_one_query_not_one_per_row(app, tmp_path):
    assert imported(tmp_path).ok
    files = valid_files()

    def import_count() -> int:
        directory = tmp_path / f"count{len(list(tmp_path.iterdir()))}"
        directory.mkdir()
        write_files(directory, files)
        with count_queries() as queries:
            assert import_directory(directory).ok
        return queries.count

    none_corrected = import_count()
    budi = factories.account(db.session.get(Person, NIK_A))
    reviewer = officer()
    for kpj in (KPJ_1, KPJ_2):
        card = db.session.get(Membership, kpj)
        card.full_name = "Budi Santosa"
        db.session.commit()
        decisions.approve(filed(budi, kpj, RequestKind.CORRECTION).public_id, reviewer)
    assert import_count() == none_corrected


# --- Export ---------------------------------------------------------------------------------


def test_export_writes_the_corrected_cards_as_memberships_csv_and_reimports_to_no_change(
    app, tmp_path, runner
):
    corrected_card(tmp_path)
    out = tmp_path / "koreksi" / "memberships.csv"
    out.parent.mkdir()
    result = runner.invoke(args=["registry", "corrections", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert "exported 1 corrected cards" in result.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0] == list(MEMBERSHIPS.columns)
    assert rows[1] == [KPJ_2, "BPU", NIK_A, "Budi Santoso", "1990-01-23", "Siti Aminah", "",
                       "NONAKTIF", "2010-03-01", "2014-12-31"]
    assert len(rows) == 2
    before = snapshot()
    again = import_directory(out.parent)
    assert again.ok and again.kept_corrected == 0
    assert again.changes["memberships.csv"].unchanged == 1
    assert snapshot() == before
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "corrections.export")).one()
    assert entry.actor_kind == "SYSTEM" and "1" in entry.after and NIK_A not in entry.after


def test_export_to_stdout_keeps_the_count_off_the_csv(app, tmp_path, runner):
    corrected_card(tmp_path)
    db.session.get(Membership, KPJ_2).status = "DIGABUNG"  # the portal closed it meanwhile
    db.session.commit()
    result = runner.invoke(args=["registry", "corrections", "export", "-"])
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][0] == "kpj" and rows[1][7] == "NONAKTIF", "the core system knows no DIGABUNG"
    assert "exported 1 corrected cards" in result.stderr


def test_export_with_no_corrections_writes_the_header_only(app, tmp_path, runner):
    out = tmp_path / "memberships.csv"
    result = runner.invoke(args=["registry", "corrections", "export", str(out)])
    assert result.exit_code == 0 and "exported 0 corrected cards" in result.output
    assert out.read_text(encoding="utf-8").splitlines() == [",".join(MEMBERSHIPS.columns)]
