"""A card shows only its segment's programmes (DESIGN §2): the card page, its CSV and
printable statements, and Beranda. JAKON: JKK and JKM, no JHT or JP; BPU and PMI: no JP."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests import factories as f
from webapp.balances import services
from webapp.formatting import rupiah
from webapp.main import routes as main_routes
from webapp.models import Membership

AS_OF = date(2020, 7, 15)
EMAIL = "budi@contoh.id"
# DESIGN §2, in the order the page lists them.
PROGRAMMES = {
    "PU": ["JHT", "JP", "JKK", "JKM", "JKP"],
    "BPU": ["JKK", "JKM", "JHT"],
    "PMI": ["JKK", "JKM", "JHT"],
    "JAKON": ["JKK", "JKM"],
}
# Contribution columns each segment pays (the others are 0, as the import demands).
PAID = {
    "PU": {},
    "BPU": {"jp": 0, "jkp": 0},
    "PMI": {"jp": 0, "jkp": 0},
    "JAKON": {"jht": 0, "jp": 0, "jkp": 0},
}


@pytest.fixture
def cards(app, auth, monkeypatch) -> dict[str, Membership]:
    """One linked card of each segment, a year of contributions each, the owner logged in."""
    # Beranda imported today() by name: pin both.
    for module in (services, main_routes):
        monkeypatch.setattr(module, "today", lambda: AS_OF)
    person = f.person()
    f.jht_rate(2019, "6.08")
    by_segment = {}
    for segment, paid in PAID.items():
        employer = {} if segment in ("PU", "JAKON") else {"employer_npp": None}
        card = f.membership(person, segment=segment, **employer)
        for month in range(1, 13):
            f.contribution(card, date(2019, month, 1), **paid)
        by_segment[segment] = card
    f.account(person, *by_segment.values(), email=EMAIL)
    assert auth.login(EMAIL).status_code == 303
    return by_segment


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def listed_programmes(html: str) -> list[str]:
    block = html.split('id="card-programmes"', 1)[1].split("</div>", 1)[0]
    return re.findall(r"<dt>(\w+)</dt>", block)


@pytest.mark.parametrize("segment", PROGRAMMES)
@pytest.mark.parametrize("path", ["/kartu/{ref}", "/kartu/{ref}/cetak"])
def test_every_card_lists_its_segments_programmes_with_their_labels(
    client, cards, segment, path
):
    html = page(client, path.format(ref=cards[segment].link_ref))

    assert listed_programmes(html) == PROGRAMMES[segment]
    assert "<dt>JKK</dt><dd>Jaminan Kecelakaan Kerja</dd>" in html
    assert "<dt>JKM</dt><dd>Jaminan Kematian</dd>" in html


def test_a_pu_card_shows_jht_and_jp(client, cards):
    ref = cards["PU"].link_ref
    html = page(client, f"/kartu/{ref}")

    for part in ['id="jht-balance"', 'id="jht-statement"', 'id="jp-position"',
                 f'href="/kartu/{ref}/laporan.csv"', f'href="/kartu/{ref}/cetak"']:
        assert part in html, part
    assert "Saldo JHT dan JP" in html
    assert "<dt>JKP</dt><dd>Jaminan Kehilangan Pekerjaan</dd>" in html


@pytest.mark.parametrize("segment", ["BPU", "PMI"])
def test_a_bpu_or_pmi_card_shows_jht_but_no_jp(client, cards, segment):
    ref = cards[segment].link_ref
    html = page(client, f"/kartu/{ref}")

    assert 'id="jht-balance"' in html and 'id="jht-statement"' in html
    assert f'href="/kartu/{ref}/laporan.csv"' in html
    assert 'id="jp-position"' not in html and 'id="jp-title"' not in html
    assert "Belum ada iuran JP" not in html
    assert f"Segmen {segment} tidak termasuk Jaminan Pensiun (JP)." in html


def test_a_jakon_card_shows_its_cover_and_no_savings(client, cards):
    ref = cards["JAKON"].link_ref
    html = page(client, f"/kartu/{ref}")

    assert "Perlindungan" in html
    assert "dibayar oleh kontraktor untuk setiap proyek" in html
    assert "tidak memiliki tabungan JHT maupun JP" in html
    for absent in ['id="jht-balance"', 'id="jht-statement"', 'id="jp-position"',
                   "Jaminan Hari Tua", "Jaminan Pensiun", "Saldo JHT", "Estimasi",
                   f'href="/kartu/{ref}/laporan.csv"']:
        assert absent not in html, absent
    assert f'href="/kartu/{ref}/cetak"' in html
    # The facts of the membership and its last project month are still there.
    assert "Jasa Konstruksi (JAKON)" in html and "Desember 2019" in html


@pytest.mark.parametrize(("segment", "jht", "jp"), [
    ("PU", True, True), ("BPU", True, False), ("PMI", True, False), ("JAKON", False, False),
])
def test_the_printable_statement_shows_only_the_cards_programmes(
    client, cards, segment, jht, jp
):
    html = page(client, f"/kartu/{cards[segment].link_ref}/cetak")

    assert ('id="jht-statement"' in html) is jht
    assert ('id="jht-balance"' in html) is jht
    assert ('id="jp-position"' in html) is jp
    assert ("Laporan Kepesertaan" in html) is not jht


def test_a_jakon_card_has_no_jht_csv(client, cards):
    response = client.get(f"/kartu/{cards['JAKON'].link_ref}/laporan.csv")

    assert response.status_code == 404
    assert response.mimetype == "text/html"


@pytest.mark.parametrize("segment", ["BPU", "PMI"])
def test_a_bpu_or_pmi_card_has_its_jht_csv(client, cards, segment):
    response = client.get(f"/kartu/{cards[segment].link_ref}/laporan.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.get_data(as_text=True).count("\r\n") == 3  # header, 2019, 2020


def test_beranda_shows_the_jht_balance_only_of_cards_with_jht(client, cards):
    html = page(client, "/")

    items = html.split('<li class="kpj ')[1:]
    by_kpj = {card.kpj: next(item for item in items if card.kpj in item)
              for card in cards.values()}
    for segment, card in cards.items():
        has_jht = segment != "JAKON"
        assert ("Saldo JHT</span>" in by_kpj[card.kpj]) is has_jht, segment
    assert "Tanpa saldo JHT (JKK, JKM)" in by_kpj[cards["JAKON"].kpj]
    assert html.count("Tanpa saldo JHT") == 1


def test_beranda_total_is_the_sum_of_the_jht_balances(client, cards):
    summaries = services.jht_summaries([card.kpj for card in cards.values()], AS_OF)
    total = sum(summary.balance for summary in summaries.values())
    jakon = summaries[cards["JAKON"].kpj]

    html = page(client, "/")

    assert jakon.balance == 0 and total > 0
    assert f'<p class="amount amount--big">{rupiah(total)}</p>' in html


def test_profile_lists_a_jakon_card_without_balances(client, cards):
    html = page(client, "/profil")

    assert cards["JAKON"].kpj in html
    assert "Saldo JHT" not in html and "Tanpa saldo JHT" not in html
