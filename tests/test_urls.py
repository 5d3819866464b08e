"""Templates' url_for, remembered (webapp/urls.py), builds what Flask's would."""

from __future__ import annotations

from flask import render_template_string


def test_a_relative_endpoint_is_the_requests_own_blueprints(app):
    # Both the participant's claims and the officers' back office have a view named klaim.
    for path in ("/klaim", "/petugas/klaim", "/klaim"):
        with app.test_request_context(path):
            assert render_template_string("{{ url_for('.klaim') }}") == path


def test_a_link_is_the_same_built_or_remembered(app):
    with app.test_request_context("/"):
        first = render_template_string("{{ url_for('static', filename='css/app.css') }}")
        again = render_template_string("{{ url_for('static', filename='css/app.css') }}")
    assert first == again and first.startswith("/static/")
