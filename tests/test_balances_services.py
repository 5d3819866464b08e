"""JHT statements, summaries and JP positions computed from the ledger (DESIGN §5)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests import factories as f
from tests.querycount import count_queries
from webapp import rules
from webapp.balances import services
from webapp.extensions import db

AS_OF = date(2020, 7, 15)  # July: six full months of 2020 have elapsed (M = 6)


def paid(card, on: date, jht: int, jp: int = 0, period: date | None = None, wage: int = 5_000_000):
    return f.contribution(card, period or on, paid_on=on, jht=jht, jp=jp, wage=wage)


@pytest.fixture
def worked_card(app):
    """The hand-worked example of test_worked_example_statement."""
    card = f.membership(f.person())
    f.jht_rate(2016, "7.19")
    f.jht_rate(2018, "6.26")
    f.jht_rate(2019, "6.08")
    paid(card, date(2015, 10, 10), 100_000)
    paid(card, date(2016, 3, 10), 200_000)
    paid(card, date(2016, 12, 5), 200_000)
    paid(card, date(2017, 7, 20), 300_000)
    # 2018: no contributions at all.
    # Paid in January 2019 for December 2018: it counts in 2019, the year it was paid.
    paid(card, date(2019, 1, 31), 120_000, period=date(2018, 12, 1))
    paid(card, date(2019, 6, 10), 120_000)
    paid(card, date(2020, 2, 10), 100_000)
    paid(card, date(2020, 7, 10), 100_000)
    paid(card, date(2020, 8, 10), 100_000)  # after as_of: not in the statement yet
    db.session.commit()
    return card


def test_worked_example_statement(worked_card):
    # 2015: no rate for 2015 and none earlier → 0%.
    #   development = 0; closing = 100.000
    # 2016: 7,19%. opening 100.000; paid March (m=3) 200.000 and December (m=12) 200.000.
    #   100.000·0,0719 = 7.190; 200.000·0,0719·9/12 = 10.785; 200.000·0,0719·0/12 = 0
    #   development = 17.975; closing = 100.000 + 400.000 + 17.975 = 517.975
    # 2017: no rate → 2016's 7,19%. opening 517.975; paid July (m=7) 300.000.
    #   517.975·0,0719 = 37.242,4025; 300.000·0,0719·5/12 = 8.987,5; sum 46.229,9025
    #   development = 46.229 (floored); closing = 517.975 + 300.000 + 46.229 = 864.204
    # 2018: 6,26%, nothing paid (a gap). 864.204·0,0626 = 54.099,1704
    #   development = 54.099; closing = 918.303
    # 2019: 6,08%. opening 918.303; paid January (m=1) 120.000 and June (m=6) 120.000.
    #   918.303·0,0608 = 55.832,8224; 120.000·0,0608·11/12 = 6.688; ·6/12 = 3.648
    #   development = 66.168; closing = 918.303 + 240.000 + 66.168 = 1.224.471
    # 2020 (as_of 15 July, M = 6): no rate → 2019's 6,08%. opening 1.224.471; paid
    #   February (m=2) 100.000 and July (m=7, not a full month yet) 100.000.
    #   1.224.471·0,0608·6/12 = 37.223,9184; 100.000·0,0608·4/12 = 2.026,67; 100.000·0 = 0
    #   accrued estimate = 39.250; estimated closing = 1.224.471 + 200.000 + 39.250 = 1.463.721
    # Balance (credited) = 1.224.471 + 200.000 = 1.424.471.
    statement = services.card_statement(worked_card.kpj, AS_OF)

    rows = [(r.year, r.rate, r.rate_fallback_from, r.rate_known, r.opening, r.contributions,
             r.development, r.closing, r.is_estimate) for r in statement.jht.years]
    assert rows == [
        (2015, Decimal("0"), None, False, 0, 100_000, 0, 100_000, False),
        (2016, Decimal("7.19"), None, True, 100_000, 400_000, 17_975, 517_975, False),
        (2017, Decimal("7.19"), 2016, True, 517_975, 300_000, 46_229, 864_204, False),
        (2018, Decimal("6.26"), None, True, 864_204, 0, 54_099, 918_303, False),
        (2019, Decimal("6.08"), None, True, 918_303, 240_000, 66_168, 1_224_471, False),
        (2020, Decimal("6.08"), 2019, True, 1_224_471, 200_000, 39_250, 1_463_721, True),
    ]
    assert statement.jht.balance == 1_424_471
    assert statement.jht.accrued_estimate == 39_250
    assert statement.jht.total_contributions == 1_240_000
    assert statement.jht.total_development == 17_975 + 46_229 + 54_099 + 66_168
    assert (statement.last_period, statement.last_paid_on) == (date(2020, 7, 1), date(2020, 7, 10))
    assert statement.last_wage == 5_000_000


def test_full_months_rule_is_the_full_year_rule_at_twelve():
    # floor(1.000.000·0,05·12/12 + 120.000·0,05·(12−3)/12) = 50.000 + 4.500
    assert services.development(1_000_000, {3: 120_000}, Decimal("5"), 12) == 54_500
    # In the current year after 6 full months: 25.000 + 120.000·0,05·3/12 = 26.500
    assert services.development(1_000_000, {3: 120_000}, Decimal("5"), 6) == 26_500
    # January: no full month has elapsed, nothing has accrued.
    assert services.development(1_000_000, {1: 120_000}, Decimal("5"), 0) == 0


def test_next_year_credits_the_estimate_year(worked_card):
    # On 1 January 2021 the 2020 row is credited with the full-year rule:
    # 1.224.471·0,0608 = 74.447,8368; 100.000·0,0608·10/12 = 5.066,67; ·5/12 = 2.533,33;
    # the August payment (m=8) 100.000·0,0608·4/12 = 2.026,67 → 84.074,50 → 84.074
    statement = services.card_statement(worked_card.kpj, date(2021, 1, 1))
    row_2020 = statement.jht.years[-2]
    assert (row_2020.development, row_2020.is_estimate) == (84_074, False)
    assert statement.jht.balance == 1_224_471 + 300_000 + 84_074
    assert statement.jht.accrued_estimate == 0


def test_summaries_agree_with_statements(worked_card):
    other = f.membership(f.person(), status="NONAKTIF")
    paid(other, date(2019, 4, 10), 50_000)
    db.session.commit()
    kpjs = [worked_card.kpj, other.kpj, "99999999999"]  # read before counting

    with count_queries() as queries:
        summaries = services.jht_summaries(kpjs, AS_OF)

    assert queries.count == 1, queries.statements
    for card in (worked_card, other):
        assert summaries[card.kpj] == services.card_statement(card.kpj, AS_OF).summary
    assert summaries[worked_card.kpj] == services.JhtSummary(1_424_471, 39_250)
    assert summaries["99999999999"] == services.JhtSummary(0, 0)


def test_summaries_of_no_cards_ask_nothing(app):
    with count_queries() as queries:
        assert services.jht_summaries([], AS_OF) == {}
    assert queries.count == 0


def test_summary_queries_do_not_grow_with_cards_or_contributions(app):
    f.jht_rate(2019, "6.08")
    cards = [f.membership(f.person()) for _ in range(5)]
    for card in cards:
        for month in range(1, 13):
            paid(card, date(2019, month, 10), 100_000)
    db.session.commit()
    kpjs = [c.kpj for c in cards]
    with count_queries() as queries:
        summaries = services.jht_summaries(kpjs, AS_OF)
    assert queries.count == 1
    # 1.200.000 paid in 2019 + 100.000·0,0608·Σ(12−m)/12 = 6.080·66/12 = 33.440
    assert {s.balance for s in summaries.values()} == {1_233_440}


def test_a_new_contribution_changes_the_balance(worked_card):
    before = services.jht_summaries([worked_card.kpj], AS_OF)[worked_card.kpj]
    paid(worked_card, date(2020, 3, 10), 150_000)
    db.session.commit()

    after = services.jht_summaries([worked_card.kpj], AS_OF)[worked_card.kpj]

    assert after.balance == before.balance + 150_000
    # 150.000·0,0608·(6−3)/12 = 2.280 more accrued.
    assert after.accrued_estimate == before.accrued_estimate + 2_280


def test_a_card_without_contributions_has_an_empty_statement(app):
    card = f.membership(f.person())
    db.session.commit()
    statement = services.card_statement(card.kpj, AS_OF)
    assert statement.jht.years == ()
    assert (statement.jht.balance, statement.jht.accrued_estimate) == (0, 0)
    assert statement.last_period is None
    assert not statement.jp.has_jp


def test_unknown_card_statement_is_a_lookup_error(app):
    with pytest.raises(LookupError):
        services.card_statement("99999999999", AS_OF)


def test_owned_card_is_found_by_its_ref_and_only_for_its_account(app):
    owner = f.person()
    card = f.membership(owner)
    account = f.account(owner, card)
    stranger = f.account(f.person())
    assert services.owned_card(account.id, card.link_ref) is card
    assert services.owned_card(stranger.id, card.link_ref) is None
    assert services.owned_card(account.id, "x" * 22) is None
    assert services.owned_card(account.id, card.kpj) is None  # a KPJ is not an address


# --- JP ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "pension_date", "age"),
    [
        (date(1962, 5, 10), date(2018, 5, 10), 56),  # 56 in 2018, before the change
        (date(1963, 3, 1), date(2020, 3, 1), 57),  # 56 in 2019 is short of 57
        (date(1965, 8, 17), date(2023, 8, 17), 58),  # 57 in 2022 < 58; 58 in 2023 ≥ 58
        (date(1966, 1, 2), date(2024, 1, 2), 58),
        (date(1967, 11, 2), date(2026, 11, 2), 59),  # 58 in 2025 < 59
        (date(1978, 6, 1), date(2042, 6, 1), 64),  # 63 in 2041 < 64; 64 in 2042 ≥ 64
        (date(1990, 1, 23), date(2055, 1, 23), 65),  # the age stops rising at 65
        (date(1964, 2, 29), date(2021, 2, 28), 57),  # leap-day birthday in a common year
    ],
)
def test_pension_start(birth, pension_date, age):
    assert services.pension_start(birth) == (pension_date, age)


def test_pension_age_rule():
    assert [rules.jp_pension_age(y) for y in (2018, 2019, 2021, 2022, 2025, 2028, 2043, 2060)] == [
        56, 57, 57, 58, 59, 60, 65, 65]


def test_pension_bounds_are_published_or_estimated():
    assert rules.jp_pension_min(2023) == rules.Figure(383_400, estimated=False)
    assert rules.jp_pension_max(2023) == rules.Figure(4_598_100, estimated=False)
    assert rules.jp_pension_min(2024) == rules.Figure(393_500, estimated=False)
    assert rules.jp_pension_max(2024).estimated
    assert rules.jp_pension_min(2025).estimated


def jp_months(card, start: date, count: int, wage: int, jp: int | None = None) -> None:
    year, month = start.year, start.month
    for _ in range(count):
        period = date(year, month, 1)
        f.contribution(card, period, wage=wage, jp=wage * 3 // 100 if jp is None else jp,
                       paid_on=date(year, month, 10))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def test_woman_under_180_months_gets_a_lump_sum(app):
    # A woman's NIK carries her birth day + 40; her pension age comes from her birth date.
    owner = f.person(gender="P", birth_date=date(1967, 11, 2))
    card = f.membership(owner, status="NONAKTIF")
    f.jht_rate(2019, "6.08")
    jp_months(card, date(2019, 1, 1), 12, wage=5_000_000, jp=150_000)
    db.session.commit()
    assert owner.nik[6:8] == "42"

    jp = services.card_statement(card.kpj, AS_OF).jp

    assert (jp.pension_date, jp.pension_age) == (date(2026, 11, 2), 59)
    assert (jp.months, jp.contributions, jp.average_wage) == (12, 1_800_000, 5_000_000)
    assert not jp.continues and jp.months_at_pension == 12
    assert not jp.reaches_minimum_months and jp.pension is None
    # 2019 (6,08%): 150.000 paid each month m = 1..12 earns 9.120·(12−m)/12:
    #   9.120·66/12 = 50.160; closing 1.800.000 + 50.160 = 1.850.160
    # 2020 (fallback 6,08%, M = 6): 1.850.160·0,0608·6/12 = 56.244,864 → 56.244
    # Lump sum = 1.850.160 + 56.244 = 1.906.404
    assert jp.lump_sum == 1_906_404


def test_active_card_assumes_contributions_continue_until_pension(app):
    owner = f.person(birth_date=date(1980, 6, 15))
    card = f.membership(owner, status="AKTIF")
    jp_months(card, date(2023, 7, 1), 24, wage=8_000_000)
    db.session.commit()

    jp = services.card_statement(card.kpj, date(2025, 7, 15)).jp

    # Born 1980: 64 in 2044 < 65; 65 in 2045 → 15 June 2045.
    assert (jp.pension_date, jp.pension_age) == (date(2045, 6, 15), 65)
    # Paid July 2023 – June 2025; assumed July 2025 – May 2045: 239 more months.
    assert jp.continues and (jp.months, jp.months_at_pension) == (24, 263)
    # 1% × 263/12 × 8.000.000 = 1.753.333,33 → 1.753.333 (within 2025's bounds)
    assert jp.pension.amount == jp.pension.formula_amount == 1_753_333
    assert jp.pension.bound_year == 2025 and jp.pension.clamped_to is None
    assert jp.lump_sum is None


def test_small_pension_is_raised_to_the_minimum(app):
    owner = f.person(birth_date=date(1990, 1, 23))
    card = f.membership(owner, status="AKTIF")
    jp_months(card, date(2024, 1, 1), 12, wage=1_000_000)
    db.session.commit()

    jp = services.card_statement(card.kpj, date(2025, 1, 15)).jp

    # 12 paid + January 2025 – December 2054 (360) = 372 months.
    # 1% × 372/12 × 1.000.000 = 310.000, under 2025's minimum.
    assert jp.months_at_pension == 372
    assert jp.pension.formula_amount == 310_000
    assert jp.pension.amount == rules.jp_pension_min(2025).amount
    assert jp.pension.clamped_to == "minimum" and jp.pension.minimum.estimated


def test_wages_are_capped_per_year(app):
    card = f.membership(f.person(), status="NONAKTIF")
    jp_months(card, date(2023, 1, 1), 24, wage=12_000_000)
    db.session.commit()

    jp = services.card_statement(card.kpj, date(2025, 3, 1)).jp

    # (9.559.600·12 + 10.042.300·12) / 24 = 9.800.950: both caps are published.
    assert jp.average_wage == 9_800_950
    assert not jp.wage_caps_estimated


@pytest.mark.parametrize(("months", "pension"), [(179, None), (180, 750_000)])
def test_180_months_decides_pension_or_lump_sum(app, months, pension):
    owner = f.person(birth_date=date(1970, 1, 1))
    card = f.membership(owner, status="NONAKTIF")
    jp_months(card, date(2010, 1, 1), months, wage=5_000_000)
    db.session.commit()

    jp = services.card_statement(card.kpj, date(2025, 3, 1)).jp

    # Born 1970: 59 in 2029 < 60; 60 in 2030 ≥ 60.
    assert (jp.pension_date, jp.pension_age) == (date(2030, 1, 1), 60)
    assert not jp.continues and jp.months_at_pension == months
    if pension is None:
        assert jp.pension is None and jp.lump_sum >= months * 150_000
    else:
        # 1% × 180/12 × 5.000.000 = 750.000
        assert jp.pension.amount == pension and jp.lump_sum is None


def test_statement_of_a_card_row_already_held(app):
    card, other = f.membership(f.person()), f.membership(f.person())
    db.session.commit()
    kpj = card.kpj  # reloads the expired row before counting
    with count_queries() as queries:
        statement = services.card_statement(kpj, AS_OF, card=card)
    assert statement.card is card and queries.count == 1
    with pytest.raises(ValueError):
        services.card_statement(kpj, AS_OF, card=other)


def test_a_registry_import_updates_the_balance(worked_card, tmp_path):
    """The balance is read from the ledger, so an import (a new month, a corrected amount)
    shows at once."""
    from webapp.registry.services import import_directory

    before = services.jht_summaries([worked_card.kpj], AS_OF)[worked_card.kpj].balance
    header = "kpj,period,wage,jht,jp,jkk,jkm,jkp,paid_on\n"
    (tmp_path / "contributions.csv").write_text(
        header
        + f"{worked_card.kpj},2020-03,5000000,50000,0,0,0,0,2020-04-10\n"
        # The 2016-12 amount corrected from 200.000 to 210.000.
        + f"{worked_card.kpj},2016-12,5000000,210000,0,0,0,0,2016-12-05\n"
    )
    assert import_directory(tmp_path).ok
    db.session.expire_all()
    after = services.jht_summaries([worked_card.kpj], AS_OF)[worked_card.kpj].balance
    # +50.000 in 2020, +10.000 in 2016 with its December development (0/12) and the
    # returns it earns in 2017–2019: floor effects aside, strictly more than +60.000.
    assert after > before + 60_000
    statement = services.card_statement(worked_card.kpj, AS_OF)
    assert statement.jht.balance == after
    assert next(r for r in statement.jht.years if r.year == 2016).contributions == 410_000


def test_statement_notes_group_the_years_that_borrow_a_rate():
    from webapp.ledger import Ledger, YearRow

    def year(number, fallback=None, known=True, transfers=0):
        return YearRow(number, Decimal("5"), fallback, known, 0, 0, transfers, 0, 0, False)

    ledger = Ledger((year(2014, known=False), year(2015), year(2016, 2015), year(2017, 2015),
                     year(2018), year(2019, 2012, transfers=-5), year(2020, 2018)))
    assert [row.year for row in ledger.years_without_rate] == [2014]
    assert [(source, [row.year for row in rows]) for source, rows in ledger.borrowed_rates] == [
        (2012, [2019]), (2015, [2016, 2017]), (2018, [2020])]
    assert ledger.has_transfers
    assert not Ledger(ledger.years[:3]).has_transfers
