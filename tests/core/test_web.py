"""The static browser apps' shared files are served from this origin."""


def test_vendored_library_is_served_as_javascript(client):
    answer = client.get("/web/vendor/htm-preact-3.1.1.js")
    assert answer.status_code == 200
    assert answer.mimetype in {"text/javascript", "application/javascript"}
    assert b"export{" in answer.data


def test_unknown_vendor_file_is_404(client):
    assert client.get("/web/vendor/nothing.js").status_code == 404
    assert client.get("/web/vendor/../app.py").status_code == 404
