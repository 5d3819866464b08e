"""Where a message goes: an error or warning about a form's own submission sits at the top
of that form (form_notices), toasts carry transaction status and good news, and an htmx
answer's toasts replace the one shown before."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.test_kpj_views import send
from webapp.extensions import db

TOASTS = re.compile(r'<div id="toasts"[^>]*>(.*?)</div>\s*<main', re.S)


@pytest.fixture
def budi(app, auth):
    person = factories.person(full_name="BUDI SANTOSO")
    factories.account(person, factories.membership(person), email="budi@contoh.id")
    auth.login("budi@contoh.id")
    return person


def parts(html: str) -> tuple[str, str]:
    """An htmx answer: the swapped form, and the out-of-band toasts after it."""
    form, _, rest = html.partition('<div hx-swap-oob="innerHTML:#toasts">')
    return form, rest.split('<section id="kpj-list"')[0]


def whole_page(client, response) -> str:
    """Without JavaScript the answer is the page itself, or a redirect to it."""
    if response.status_code in (302, 303):
        response = client.get(response.headers["Location"])
    return response.get_data(as_text=True)


@pytest.mark.parametrize("htmx", [True, False])
def test_a_registry_refusal_sits_at_the_top_of_the_form_with_its_steps(client, budi, htmx):
    response = send(client, "99999999999", htmx=htmx)
    if htmx:
        form, toasts = parts(response.get_data(as_text=True))
    else:
        page = whole_page(client, response)
        toasts = TOASTS.search(page).group(1)
        form = page.split('<section id="segment-form"')[1]
    notice = form.split("<form")[1].split('<div class="field')[0]
    assert 'class="form-notice form-notice--error" role="alert" tabindex="-1"' in notice
    assert "KPJ tidak ditemukan atas NIK Anda" in notice and "kantor cabang" in notice
    assert 'class="toast' not in toasts


@pytest.mark.parametrize("htmx", [True, False])
def test_good_news_stays_a_toast(client, budi, htmx):
    old = factories.membership(budi, status="NONAKTIF")
    db.session.commit()
    response = send(client, old.kpj, htmx=htmx)
    if htmx:
        form, toasts = parts(response.get_data(as_text=True))
    else:
        page = whole_page(client, response)
        toasts, form = TOASTS.search(page).group(1), page.split("<main")[1]
    assert 'class="toast toast--success" role="status"' in toasts and "Transaksi berhasil" in toasts
    assert "form-notice" not in form


def test_a_segment_switch_leaves_queued_toasts_for_the_next_page(client, budi):
    """Opening a form fragment must not eat a success toast that a full page will show."""
    with client.session_transaction() as session:
        session["_flashes"] = [("success", {"title": "Selamat datang", "text": None, "steps": []})]
    fragment = client.get("/pengaturan/tambah-kpj?segmen=PU", headers={"HX-Request": "true", "HX-Target": "segment-form"})
    assert "Selamat datang" not in fragment.get_data(as_text=True)
    page = client.get("/").get_data(as_text=True)
    assert "Selamat datang" in TOASTS.search(page).group(1)


def test_an_htmx_error_toast_replaces_the_toast_shown_before(client, budi):
    response = client.post("/pengaturan/tambah-kpj", data={"kpj": "1", "segmen": "PU"},
                           headers={"HX-Request": "true", "X-CSRFToken": "salah"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'hx-swap-oob="innerHTML:#toasts"' in html and "toast--error" in html
