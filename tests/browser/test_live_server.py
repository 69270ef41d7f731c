"""The browser harness itself: the live demo serves the vendored library to a real chromium."""


def test_chromium_runs_the_vendored_library(page, live_server):
    page.goto(live_server + "/api/docs")
    result = page.evaluate(
        """async () => {
            const m = await import('/web/vendor/htm-preact-3.1.1.js');
            const div = document.createElement('div');
            m.render(m.html`<b id="x">${1 + 1}</b>`, div);
            return div.innerHTML;
        }"""
    )
    assert result == '<b id="x">2</b>'


def test_api_client_reaches_the_demo(api):
    from tests.browser.conftest import BUYER

    token = api.login(*BUYER)
    me = api.call("GET", "/api/v1/me", token=token)
    assert me["email"] == BUYER[0]
