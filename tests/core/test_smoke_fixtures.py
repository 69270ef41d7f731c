def test_fixtures_give_a_clean_database(app, client, merchant, buyer):
    from mallkit.core.accounts.merchants.models import Merchant

    assert Merchant.select().count() == 1
    r = client.get("/api/v1/me", headers=buyer.headers)
    assert r.status_code == 200
    assert r.json["email"] == buyer.user.email


def test_emptying_the_tables_restarts_ids_and_keeps_the_migration_history(app, merchant):
    import pytest

    from mallkit.core import db as dbm
    from mallkit.core.catalog.models import Brand, Category
    from mallkit.core.db import transaction
    from mallkit.core.testing import empty_tables, make_merchant

    parent = Category.create(merchant=merchant.id, name="a", path="/")
    Category.create(merchant=merchant.id, name="b", path="/", parent=parent)  # refers to its own
    with pytest.raises(RuntimeError), transaction():
        Brand.create(merchant=merchant.id, name="rolled back")  # moves the id sequence only
        raise RuntimeError("roll back")
    history = dbm.database.execute_sql("SELECT COUNT(*) FROM migrations_core").fetchone()[0]

    empty_tables()
    for table in dbm.database.get_tables():
        count = dbm.database.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
        if table == "migrations_core":
            assert count == history
        elif not table.startswith("migrations_") and not table.startswith("product_fts"):
            assert count == 0, table
    again = make_merchant("Again")
    assert again.id == 1
    assert Category.create(merchant=again.id, name="a", path="/").id == 1
    assert Brand.create(merchant=again.id, name="b").id == 1
