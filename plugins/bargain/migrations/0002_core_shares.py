"""Bargain share codes become core share links (kind ``"bargain"``, channel ``"link"``): the
rows of ``bargain_share`` are copied to ``share_link`` (core migration 0006), so codes
already handed out keep working and ``bargain_help.share_code`` still names a link.

``bargain_share`` itself is left in place, unused: a row whose sharer or store no longer
exists (or whose code is already taken) is not copied, and dropping the table would lose it.
"""

COPY = """
INSERT INTO share_link (code, merchant_id, sharer_id, kind, target_id, channel, utm_source,
                        utm_medium, utm_campaign, generation, expires_at, created_at)
SELECT s.code, s.merchant_id, s.inviter_id, 'bargain', s.bargain_id, 'link', '', '', '', 0, NULL,
       s.created_at
FROM bargain_share s
WHERE NOT EXISTS (SELECT 1 FROM share_link l WHERE l.code = s.code)
  AND EXISTS (SELECT 1 FROM "user" u WHERE u.id = s.inviter_id)
  AND EXISTS (SELECT 1 FROM merchant m WHERE m.id = s.merchant_id)
"""

UNDO = """
DELETE FROM share_link
WHERE kind = 'bargain' AND code IN (SELECT code FROM bargain_share)
"""


def up(migrator, db):
    db.execute_sql(COPY)


def down(migrator, db):
    db.execute_sql(UNDO)
