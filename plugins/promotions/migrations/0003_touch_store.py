"""Any change to a store's promotions moves the store's ``plugin_settings_version``, so every
process drops the running promotions it keeps for the store (``MerchantPlugins.memo``) and
reads them again at its next pricing — whoever made the change: the service, the console, a
script, or SQL typed by hand.

Triggers on ``promotion``: every insert and delete, and every update that sets a column other
than ``sold`` (the units a limited 限时折扣 has sold move with every order and are read fresh
on their own; bumping on them would make a flash sale reload the store on every order). A
migration adding a column to ``promotion`` adds it to ``COLUMNS`` of a new trigger."""

import peewee as pw

COLUMNS = (
    "merchant_id, name, type, status, priority, starts_at, ends_at, scope, scope_ids, rules, "
    "stock, per_user, segment_id, created_at"
)
TOUCH = 'UPDATE "merchant" SET plugin_settings_version = plugin_settings_version + 1 WHERE id = '

SQLITE = [
    f"CREATE TRIGGER promotion_touch_insert AFTER INSERT ON promotion BEGIN {TOUCH}"
    " NEW.merchant_id; END",
    f"CREATE TRIGGER promotion_touch_delete AFTER DELETE ON promotion BEGIN {TOUCH}"
    " OLD.merchant_id; END",
    f"CREATE TRIGGER promotion_touch_update AFTER UPDATE OF {COLUMNS} ON promotion BEGIN"
    f" {TOUCH} OLD.merchant_id; {TOUCH} NEW.merchant_id AND NEW.merchant_id <> OLD.merchant_id;"
    " END",
]
POSTGRES = [
    f"""CREATE FUNCTION promotion_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        {TOUCH} OLD.merchant_id;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.merchant_id <> OLD.merchant_id) THEN
        {TOUCH} NEW.merchant_id;
    END IF;
    RETURN NULL;
END
$$""",
    f"CREATE TRIGGER promotion_touch AFTER INSERT OR DELETE OR UPDATE OF {COLUMNS}"
    " ON promotion FOR EACH ROW EXECUTE FUNCTION promotion_touch()",
]


def up(migrator, db):
    for sql in POSTGRES if isinstance(db, pw.PostgresqlDatabase) else SQLITE:
        db.execute_sql(sql)


def down(migrator, db):
    if isinstance(db, pw.PostgresqlDatabase):
        db.execute_sql("DROP TRIGGER IF EXISTS promotion_touch ON promotion")
        db.execute_sql("DROP FUNCTION IF EXISTS promotion_touch()")
    else:
        for name in ("insert", "delete", "update"):
            db.execute_sql(f"DROP TRIGGER IF EXISTS promotion_touch_{name}")
