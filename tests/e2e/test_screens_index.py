"""build/screens/index.html: every page's shots side by side, found on disk (no browser)."""

from __future__ import annotations

import re

from tests.e2e.conftest import PHONES, write_index


def test_the_index_shows_each_page_at_every_size_in_name_order_the_older_tests_last(tmp_path):
    big, small = PHONES
    for size, name in [(big, "kpj-02-b"), (small, "kpj-02-b"), (big, "lain-x"), (big, "akun-01-a"), (small, "akun-01-a")]:
        (tmp_path / size).mkdir(exist_ok=True)
        (tmp_path / size / f"{name}.png").write_bytes(b"\x89PNG")

    html = write_index(tmp_path).read_text(encoding="utf-8")

    assert re.findall(r'<section id="([^"]+)"', html) == ["akun-01-a", "kpj-02-b", "lain-x"]
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert sources == [
        f"{big}/akun-01-a.png", f"{small}/akun-01-a.png",
        f"{big}/kpj-02-b.png", f"{small}/kpj-02-b.png",
        f"{big}/lain-x.png",
    ]
    assert all((tmp_path / source).exists() for source in sources), "paths relative to the index"
    lain = html[html.index('<section id="lain-x"'):]
    assert f"<figcaption>{small}</figcaption><p>tidak ada</p>" in lain
    assert "3 halaman, 2 ukuran layar" in html
