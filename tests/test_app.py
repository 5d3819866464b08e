"""The app object itself (webapp/__init__.py)."""

import flask.app


def test_whether_a_function_is_a_coroutine_is_asked_once(app, client, monkeypatch):
    asked = []
    original = flask.app.iscoroutinefunction
    monkeypatch.setattr(flask.app, "iscoroutinefunction", lambda func: asked.append(func) or original(func))
    app._sync.clear()
    for _ in range(3):
        assert client.get("/sehat").status_code == 200
    assert asked and len(asked) == len(set(asked))  # each function once, not per request


def test_plain_functions_stay_as_they_are_and_coroutines_are_still_wrapped(app, monkeypatch):
    def plain():
        return "ok"

    async def coroutine():
        return "ok"

    wrapped = []
    monkeypatch.setattr(app, "async_to_sync", lambda func: wrapped.append(func) or "wrapped")
    assert app.ensure_sync(plain) is plain and app.ensure_sync(plain) is plain
    assert app.ensure_sync(coroutine) == "wrapped" and app.ensure_sync(coroutine) == "wrapped"
    assert wrapped == [coroutine]


def test_the_remembered_answers_are_bounded(app):
    app._sync.clear()
    functions = [lambda: None for _ in range(app._SYNC_LIMIT + 10)]
    for function in functions:
        assert app.ensure_sync(function) is function
    assert len(app._sync) <= app._SYNC_LIMIT
