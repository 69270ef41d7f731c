"""Share links: a buyer shares a product, a store or a plugin's object (a group, a bargain, a
promoter page) through a channel; the core records who came through the link (visits), who
signed up with it and which orders it brought, and shows the merchant's staff the figures.

- :mod:`.models` — ``share_link``, ``share_visit``, ``share_signup`` (migration 0006);
- :mod:`.service` — create (idempotent per sharer, target and channel), resolve, attribute,
  statistics; the verbs plugins use are exported by :mod:`mallkit.core.plugin_api`;
- :mod:`.api` — ``/api/v1/shares...`` and ``/api/v1/merchants/{id}/shares...``.

See docs/shares.md.
"""
