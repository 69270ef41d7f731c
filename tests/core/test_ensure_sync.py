"""The app remembers which handlers are plain functions, by function: a class-based view's
methods (a new instance per request) do not grow the memo, and coroutines still go to Flask."""

from __future__ import annotations

import pytest

from mallkit.core.app import MallkitFlask


def test_plain_functions_and_methods_come_back_as_they_are_and_are_remembered_once():
    app = MallkitFlask("ensure_sync_test")

    def plain():
        return 1

    class View:
        def get(self):
            return 2

    assert app.ensure_sync(plain) is plain
    first, second = View().get, View().get
    assert app.ensure_sync(first) is first and app.ensure_sync(second) is second
    assert app.ensure_sync(second)() == 2
    assert set(app._plain) == {plain, View.get}


def test_a_coroutine_function_still_goes_through_flask():
    app = MallkitFlask("ensure_sync_test")

    async def handler():
        return 3

    try:
        wrapped = app.ensure_sync(handler)
    except RuntimeError as exc:  # Flask without its "async" extra says so
        assert "async" in str(exc)
        with pytest.raises(RuntimeError):
            app.ensure_sync(handler)  # asked again: the same answer, not a remembered "plain"
        return
    assert wrapped is not handler and wrapped() == 3
