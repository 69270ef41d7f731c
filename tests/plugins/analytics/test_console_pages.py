"""The analytics plugin's console pages (register_console_pages): the store's reports for its
owner and managers in the order the plugin lists them, the platform's page, and the ES module
that draws them served from the plugin's ``console/`` folder."""

from __future__ import annotations

from mallkit.core.accounts.merchants.service import add_staff
from mallkit.core.testing import make_account

REPORTS = ["dashboard", "sales", "traffic", "campaigns", "users", "products"]


def console_pages(client, path, account):
    answer = client.get(path, headers=account.headers)
    assert answer.status_code == 200, answer.json
    return [p for p in answer.json["pages"] if p["plugin"] == "analytics"]


def test_owners_and_managers_get_the_reports_in_the_plugins_order(
    client, merchant, owner, analytics
):
    pages = console_pages(client, f"/api/v1/merchants/{merchant.id}/console", owner)
    assert [p["key"] for p in pages] == REPORTS
    assert {p["group"] for p in pages} == {"analytics"}
    assert {p["component"] for p in pages} == {"/web/plugins/analytics/analytics.js"}
    assert pages[0]["title"] == {"zh": "数据概览", "en": "Analytics overview"}
    manager = make_account(email="manager@analytics.test")
    add_staff(merchant, manager.user.email, "manager")
    assert [
        p["key"] for p in console_pages(client, f"/api/v1/merchants/{merchant.id}/console", manager)
    ] == REPORTS


def test_agents_and_stores_without_the_plugin_get_none(client, merchant, owner, enable_plugin):
    url = f"/api/v1/merchants/{merchant.id}/console"
    assert console_pages(client, url, owner) == []
    agent = make_account(email="agent@analytics.test")
    add_staff(merchant, agent.user.email, "agent")
    with enable_plugin("analytics", merchant):
        assert console_pages(client, url, agent) == []
        # and the routes behind the pages agree
        answer = client.get(
            f"/api/v1/merchants/{merchant.id}/analytics/sales", headers=agent.headers
        )
        assert answer.status_code == 403


def test_the_platform_page_and_the_module_are_served(client, admin):
    pages = console_pages(client, "/api/v1/admin/console", admin)
    assert [(p["key"], p["scope"]) for p in pages] == [("platform", "platform")]
    module = client.get("/web/plugins/analytics/analytics.js")
    assert module.status_code == 200
    assert module.mimetype in ("text/javascript", "application/javascript")
    assert "export default function Analytics" in module.get_data(as_text=True)
