"""Group share codes become core share links (kind ``"group"``, channel ``"link"``): the rows
of ``groupbuy_share`` are copied to ``share_link`` (core migration 0006), so codes already
handed out keep working and ``groupbuy_member.share_code`` still names a link.

``groupbuy_share`` itself is left in place, unused: a row whose sharer or store no longer
exists (or whose code is already taken) is not copied, and dropping the table would lose it.
"""

COPY = """
INSERT INTO share_link (code, merchant_id, sharer_id, kind, target_id, channel, utm_source,
                        utm_medium, utm_campaign, generation, expires_at, created_at)
SELECT s.code, s.merchant_id, s.inviter_id, 'group', s.group_id, 'link', '', '', '', 0, NULL,
       s.created_at
FROM groupbuy_share s
WHERE NOT EXISTS (SELECT 1 FROM share_link l WHERE l.code = s.code)
  AND EXISTS (SELECT 1 FROM "user" u WHERE u.id = s.inviter_id)
  AND EXISTS (SELECT 1 FROM merchant m WHERE m.id = s.merchant_id)
"""

UNDO = """
DELETE FROM share_link
WHERE kind = 'group' AND code IN (SELECT code FROM groupbuy_share)
"""


def up(migrator, db):
    db.execute_sql(COPY)


def down(migrator, db):
    db.execute_sql(UNDO)
