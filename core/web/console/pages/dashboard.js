// The store at a glance: today's sales and orders, to-dos, stock alerts.
import { html, get, api, t, yuan, when, Link, Table, Loading, Failure, useLoad, toast } from "/console/lib.js";

function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}
const count = (path) => get(path, { page: true }).then((x) => x.total, () => null);

export function Dashboard({ merchantId, base, role }) {
  const m = `/merchants/${merchantId}`;
  const [stats] = useLoad(() => get(`${m}/order-stats?period=day&start=${today()}&end=${today()}`).catch(() => null), [merchantId]);
  const [todos] = useLoad(async () => {
    const [toShip, unpaid, aftersales, chats] = await Promise.all([
      count(`${m}/orders?status=paid&page_size=1`),
      count(`${m}/orders?status=pending_payment&page_size=1`),
      count(`${m}/aftersales/staff/cases?status=applied&page_size=1`),
      get(`${m}/livechat/staff/inbox`).then((x) => (Array.isArray(x) ? x : x.waiting || x.items || []).filter((c) => !c.agent_id).length, () => null),
    ]);
    return { toShip, unpaid, aftersales, chats };
  }, [merchantId]);
  const [alerts, alertsError, reloadAlerts] = useLoad(async () => {
    const [open, skus] = await Promise.all([
      get(`${m}/stock/alerts?open=true&page_size=50`),
      get(`${m}/skus?low=true&page_size=100`),
    ]);
    const names = Object.fromEntries(skus.map((s) => [s.id, s]));
    return open.map((a) => ({ ...a, sku: names[a.sku_id] }));
  }, [merchantId]);
  const ack = async (alert) => {
    await api("POST", `${m}/stock/alerts/${alert.id}/acknowledge`);
    toast(t("common.done"));
    reloadAlerts();
  };
  const stat = (label, value, href) => html`<div class="card stat" data-stat=${label}>
    <div class="label">${t(label)}</div>
    <div class="value">${href && value !== null && value !== undefined ? html`<${Link} href=${href}>${value}</${Link}>` : value ?? "—"}</div>
  </div>`;
  return html`<section class="page">
    <header class="page-head"><h1>${t("dash.title")}</h1></header>
    <div class="grid stats">
      ${stat("dash.sales", stats ? yuan(stats.sales) : null)}
      ${stat("dash.orders", stats ? stats.count : null)}
      ${stat("dash.toship", todos && todos.toShip, `${base}/orders?status=paid`)}
      ${stat("dash.unpaid", todos && todos.unpaid, `${base}/orders?status=pending_payment`)}
      ${todos && todos.aftersales !== null ? stat("dash.aftersales", todos.aftersales) : null}
      ${todos && todos.chats !== null ? stat("dash.chats", todos.chats) : null}
    </div>
    <div class="card" id="stock-alerts">
      <h2>${t("dash.alerts")}</h2>
      ${alertsError ? html`<${Failure} error=${alertsError} />` : !alerts ? html`<${Loading} />` : !alerts.length ? html`<div class="empty">${t("dash.noalerts")}</div>` : html`
        <${Table} label=${t("dash.alerts")} rows=${alerts} columns=${[
          { title: "stock.product", render: (a) => (a.sku ? a.sku.product_name : `#${a.product_id}`) },
          { title: "stock.sku", render: (a) => (a.sku ? Object.values(a.sku.specs || {}).join(" / ") || a.sku.code : `#${a.sku_id}`) },
          { title: "products.stock", field: "stock", kind: "number" },
          { title: "stock.threshold", field: "threshold", kind: "number" },
          { title: "stock.when", field: "created_at", kind: "datetime" },
        ]} actions=${role === "agent" ? null : (a) => html`<button class="btn small" onClick=${() => ack(a)}>${t("dash.ack")}</button>`} />`}
    </div>
  </section>`;
}
