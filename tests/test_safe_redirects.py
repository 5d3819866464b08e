"""After login only a path on this site is followed, however the `next` value is encoded."""

import pytest

from tests import factories
from tests.conftest import csrf_token
from webapp.security import safe_next

HOSTILE_NEXT = [
    "/%09/x",  # a browser drops the tab: //x, another host
    "/\\x",  # a browser reads \ as /
    "//x",
    "///evil.example",
    "%0d%0a",
    "/x%0d%0aSet-Cookie:%20a=b",
    "/%2F/evil.example",
    "/%5Cevil.example",
    "/%5C%5Cevil.example",
    "https://evil.example",
    "http:/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "%2F%2Fevil.example",
    "/%252F%252Fevil.example",  # decoded twice: //evil.example
    "/%25252F%25252Fevil.example",
    "/%25252525252F%25252525252Fevil.example",  # deeper than any link of the site
    "javascript:alert(1)",
    " /x",
    "/x%00",
    "/x\x00",
    "/x\x7f",
    "/x\x85",  # C1: NEL
    "/x\u2028",  # line separator
    "/x\u200b",  # zero width space
    "\ufeff/x",  # byte order mark
    "/x%E2%80%A8",  # U+2028, encoded
    "/x%FF",  # not UTF-8
    "/x y",
    "x",
    "",
    None,
]
GOOD_NEXT = [
    "/",
    "/profil",
    "/riwayat?halaman=2",
    "/pengaturan/tambah-kpj?segmen=JAKON",
    "/kartu/Zm9vYmFy/cetak",
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_safe_next_refuses_anything_but_a_plain_local_path(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", GOOD_NEXT)
def test_safe_next_keeps_a_local_path_as_it_is(target):
    assert safe_next(target) == target


@pytest.fixture
def member(app):
    person = factories.person()
    return factories.account(person, factories.membership(person), email="budi@contoh.id")


@pytest.mark.parametrize(
    "next_", ["/%09/evil.example", "/%252F%252Fevil.example", "/%5Cevil.example"]
)
def test_login_with_a_hostile_next_goes_to_beranda(client, auth, member, next_):
    form = {"email": "budi@contoh.id", "password": factories.PASSWORD}
    response = client.post(f"/masuk?next={next_}", data={**form, "csrf_token": csrf_token(client)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert auth.logout().status_code == 303, "the login itself succeeded"
