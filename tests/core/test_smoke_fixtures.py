def test_fixtures_give_a_clean_database(app, client, merchant, buyer):
    from mallkit.core.accounts.merchants.models import Merchant

    assert Merchant.select().count() == 1
    r = client.get("/api/v1/me", headers=buyer.headers)
    assert r.status_code == 200
    assert r.json["email"] == buyer.user.email
