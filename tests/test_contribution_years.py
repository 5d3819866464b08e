"""contribution_years (models.ContributionYear) is always the fold of contributions by the
year paid: after ORM writes of every kind, after a rollback, and after registry imports
that add and change contributions. The balances built on it are held equal to the
month-by-month computation from the raw rows in tests/test_pages_queries_ledger.py."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tests import factories as f
from tests.test_registry_import import KPJ_1, KPJ_2, contribution_row, valid_files, write_files
from webapp.extensions import db
from webapp.models import Contribution, ContributionYear
from webapp.registry.services import import_directory


def folded() -> dict[tuple[str, int], tuple[int, int, int, int]]:
    """The fold worked out in Python from every contribution row."""
    years: dict[tuple[str, int], list[int]] = {}
    for row in db.session.scalars(sa.select(Contribution)):
        month = row.paid_on.month
        sums = years.setdefault((row.kpj, row.paid_on.year), [0, 0, 0, 0])
        for index, amount in enumerate((row.jht, row.jht * month, row.jp, row.jp * month)):
            sums[index] += amount
    return {key: tuple(sums) for key, sums in years.items()}


def stored() -> dict[tuple[str, int], tuple[int, int, int, int]]:
    rows = db.session.execute(sa.select(ContributionYear)).scalars()
    return {(row.kpj, row.year): (row.jht, row.jht_by_month, row.jp, row.jp_by_month) for row in rows}


def test_orm_writes_of_every_kind_keep_the_years_folded(app):
    person = f.person()
    card, other = f.membership(person), f.membership(person)
    db.session.flush()
    rows = [f.contribution(card, date(2019, month, 1)) for month in range(1, 13)]
    rows.append(f.contribution(card, date(2018, 12, 1), paid_on=date(2020, 1, 15)))  # paid late: 2020
    f.contribution(other, date(2020, 3, 1), wage=3_000_000)
    db.session.commit()
    assert stored() == folded() and (card.kpj, 2020) in stored() and len(stored()) == 3

    rows[0].jht += 1_000  # an amount corrected
    rows[5].paid_on = date(2021, 2, 1)  # paid in another year
    db.session.delete(rows[1])
    db.session.commit()
    assert stored() == folded() and (card.kpj, 2021) in stored()

    for row in list(db.session.scalars(sa.select(Contribution).where(Contribution.kpj == other.kpj))):
        db.session.delete(row)
    db.session.commit()
    assert stored() == folded() and not any(kpj == other.kpj for kpj, _ in stored())


def test_a_rolled_back_write_leaves_the_years_as_they_were(app):
    card = f.membership(f.person())
    f.contribution(card, date(2019, 1, 1))
    db.session.commit()
    before = stored()
    f.contribution(card, date(2019, 2, 1))
    db.session.flush()
    assert stored() != before  # folded within the flush
    db.session.rollback()
    assert stored() == before == folded()


def test_imports_that_add_and_change_contributions_keep_the_years_folded(app, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    assert import_directory(write_files(first, valid_files())).ok
    assert stored() == folded() and set(stored()) == {(KPJ_1, 2020), (KPJ_2, 2014)}
    files = valid_files()
    files["contributions.csv"] = [
        contribution_row(KPJ_1, "2020-01", wage="9000000", jht="513000", jp="180000"),  # changed
        contribution_row(KPJ_1, "2020-02", paid_on="2021-01-05"),  # paid in another year
        contribution_row(KPJ_1, "2020-03"),  # new
        contribution_row(KPJ_2, "2014-12", wage="2000000", jp="0", jkp="0"),  # unchanged
    ]
    db.session.remove()
    assert import_directory(write_files(second, files)).ok
    assert stored() == folded() and (KPJ_1, 2021) in stored()


def test_the_check_sees_a_fold_gone_wrong(app):
    """The control: a contribution written past both the ORM and the import is not folded,
    and the comparison above says so."""
    card = f.membership(f.person())
    db.session.commit()
    db.session.execute(sa.insert(Contribution.__table__).values(
        kpj=card.kpj, period=date(2019, 1, 1), wage=1, jht=1, jp=0, jkk=0, jkm=0, jkp=0,
        paid_on=date(2019, 1, 10)))
    db.session.commit()
    assert stored() != folded()
