// Orders: search and filters, the detail with lines, events, payments and refunds, and the
// staff actions (ship, change price or address, notes, refunds, confirm a manual payment).
import {
  html, useState, get, api, t, yuan, when, Link, Table, Pager, Badge, Loading, Failure, Modal,
  SchemaForm, useLoad, toast, query, go,
} from "/console/lib.js";

const STATUSES = ["", "pending_payment", "paid", "partially_shipped", "shipped", "completed", "cancelled", "closed"];
const PAGE_SIZE = 20;

export function Orders({ merchantId, base, rest }) {
  if (rest && rest[0]) return html`<${OrderDetail} merchantId=${merchantId} orderId=${Number(rest[0])} base=${base} />`;
  const params = new URLSearchParams(location.search);
  const [filters, setFilters] = useState({ status: params.get("status") || "", number: "", buyer: "" });
  const [draft, setDraft] = useState(filters);
  const [page, setPage] = useState(1);
  const [data, error] = useLoad(
    () => get(`/merchants/${merchantId}/orders${query({ ...filters, page, page_size: PAGE_SIZE })}`, { page: true }),  // prefetched by app.js for the first page
    [merchantId, filters, page],
  );
  const setStatus = (status) => { setFilters({ ...filters, status }); setDraft({ ...draft, status }); setPage(1); };
  const search = (e) => { e.preventDefault(); setFilters(draft); setPage(1); };
  const columns = [
    { title: "orders.number", render: (o) => html`<${Link} href=${`${base}/orders/${o.id}`} class="mono">${o.number}</${Link}>` },
    { title: "orders.items", render: (o) => html`<span class="ellipsis">${(o.lines || []).map((l) => `${l.product_name}${l.sku_name ? ` ${l.sku_name}` : ""} ×${l.quantity}`).join("，")}</span>` },
    { title: "orders.recipient", render: (o) => (o.address ? o.address.recipient : "—") },
    { title: "orders.total", field: "total", kind: "money" },
    { title: "orders.status", render: (o) => html`<${Badge} value=${o.status} />` },
    { title: "orders.placed", field: "placed_at", kind: "datetime" },
  ];
  return html`<section class="page">
    <header class="page-head"><h1>${t("orders.title")}</h1>${data ? html`<span class="muted">${t("common.total", { n: data.total })}</span>` : null}</header>
    <div class="tabs" role="tablist">
      ${STATUSES.map((s) => html`<button role="tab" aria-selected=${filters.status === s} class=${filters.status === s ? "tab active" : "tab"} onClick=${() => setStatus(s)}>${s ? t(`status.${s}`) : t("common.all")}</button>`)}
    </div>
    <form class="filters" onSubmit=${search}>
      <input aria-label=${t("orders.search")} placeholder=${t("orders.search")} value=${draft.number} onInput=${(e) => setDraft({ ...draft, number: e.target.value })} />
      <input aria-label=${t("orders.buyerSearch")} placeholder=${t("orders.buyerSearch")} value=${draft.buyer} onInput=${(e) => setDraft({ ...draft, buyer: e.target.value })} />
      <button class="btn" type="submit">${t("common.search")}</button>
    </form>
    ${error ? html`<${Failure} error=${error} />` : !data ? html`<${Loading} />` : html`
      <${Table} label=${t("orders.title")} columns=${columns} rows=${data.items} />
      <${Pager} page=${page} pages=${data.pages} onPage=${setPage} />`}
  </section>`;
}

const SHIP = {
  type: "object", required: ["carrier", "tracking_number"],
  properties: { carrier: { type: "string", maxLength: 64 }, tracking_number: { type: "string", maxLength: 64 } },
};
const PRICE = {
  type: "object", required: ["total"],
  properties: { total: { type: "integer", minimum: 1 }, reason: { type: "string", maxLength: 255 } },
};
const NOTE = { type: "object", required: ["note"], properties: { note: { type: "string", maxLength: 1000 } } };
const REFUND = { type: "object", required: ["reason"], properties: { reason: { type: "string", maxLength: 255 }, restock: { type: "boolean" } } };
const PAYMENT = { type: "object", required: ["reference", "amount"], properties: { reference: { type: "string", maxLength: 64 }, amount: { type: "integer" } } };
const ADDRESS = {
  type: "object", required: ["recipient", "phone", "province", "city", "detail"],
  properties: {
    recipient: { type: "string", maxLength: 100 }, phone: { type: "string", maxLength: 24 },
    province: { type: "string", maxLength: 50 }, city: { type: "string", maxLength: 50 },
    district: { type: "string", maxLength: 50 }, detail: { type: "string", maxLength: 255 },
    postal_code: { type: "string", maxLength: 16 },
  },
};
const LABELS = {
  carrier: "orders.carrier", tracking_number: "orders.tracking", total: "orders.newTotal", reason: "orders.reason",
  note: "orders.note", reference: "orders.reference", amount: "orders.refundAmount", restock: "products.stock",
  recipient: "orders.recipient",
};

function OrderDetail({ merchantId, orderId, base }) {
  const path = `/merchants/${merchantId}/orders/${orderId}`;
  const [order, error, reload] = useLoad(() => get(path), [path]);
  const [payments] = useLoad(() => get(`${path}/payments`).catch(() => []), [path, order && order.status]);
  const [refunds] = useLoad(() => get(`${path}/refunds`).catch(() => []), [path, order && order.refunded_amount]);
  const [dialog, setDialog] = useState(null);
  if (error) return html`<${Failure} error=${error} />`;
  if (!order) return html`<${Loading} />`;
  const act = (kind, title, schema, send, initial, money, labels) => html`<button class="btn" data-action=${kind} onClick=${() => setDialog({ title, schema, send, initial, money, labels })}>${title}</button>`;
  const shippable = ["paid", "partially_shipped"].includes(order.status);
  const a = order.address || {};
  return html`<section class="page">
    <header class="page-head">
      <${Link} href=${`${base}/orders`} class="back">‹ ${t("orders.title")}</${Link}>
      <h1 class="mono">${order.number}</h1><${Badge} value=${order.status} />
    </header>
    <div class="toolbar">
      ${shippable ? act("ship", t("orders.ship"), SHIP, (b) => api("POST", `${path}/ship`, b)) : null}
      ${order.status === "pending_payment" ? act("price", t("orders.price"), PRICE, (b) => api("POST", `${path}/price`, b), { total: order.total }, ["total"]) : null}
      ${order.status === "pending_payment" && order.payment_channel !== "balance" ? act("manual-payment", t("orders.manualPayment"), PAYMENT, (b) => api("POST", `${path}/manual-payment`, b), { amount: order.total }, ["amount"], { amount: "orders.total" }) : null}
      ${["pending_payment", "paid"].includes(order.status) ? act("address", t("orders.address"), ADDRESS, (b) => api("POST", `${path}/address`, { address: b }), a) : null}
      ${act("note", t("orders.notes"), NOTE, (b) => api("POST", `${path}/notes`, b), { note: order.staff_note })}
      ${order.paid_amount > order.refunded_amount ? act("refund", t("orders.refund"), REFUND, (b) => api("POST", `${path}/refunds`, b, { idempotent: true })) : null}
    </div>
    <div class="grid two">
      <div class="card">
        <h2>${t("orders.lines")}</h2>
        <${Table} label=${t("orders.lines")} rows=${order.lines} columns=${[
          { title: "orders.items", render: (l) => html`${l.product_name} <span class="muted">${l.sku_name}</span>${l.is_gift ? html` <span class="badge">赠</span>` : null}` },
          { title: "orders.unitPrice", field: "sale_unit_price", kind: "money" },
          { title: "orders.quantity", field: "quantity", kind: "number" },
          { title: "orders.amount", field: "pay_amount", kind: "money" },
        ]} />
        <dl class="sums">
          <dt>${t("orders.subtotal")}</dt><dd>${yuan(order.subtotal)}</dd>
          <dt>${t("orders.discount")}</dt><dd>-${yuan(order.discount_total)}</dd>
          <dt>${t("orders.freight")}</dt><dd>${yuan(order.freight)}</dd>
          <dt class="strong">${t("orders.total")}</dt><dd class="strong">${yuan(order.total)}</dd>
          <dt>${t("orders.paid")}</dt><dd>${yuan(order.paid_amount)}</dd>
          <dt>${t("orders.refunded")}</dt><dd>${yuan(order.refunded_amount)}</dd>
        </dl>
      </div>
      <div class="card">
        <h2>${t("orders.recipient")}</h2>
        <p>${a.recipient} ${a.phone}<br />${[a.province, a.city, a.district, a.detail].filter(Boolean).join(" ")}</p>
        ${order.buyer_note ? html`<p class="muted">${order.buyer_note}</p>` : null}
        ${order.staff_note ? html`<p><strong>${t("orders.note")}：</strong>${order.staff_note}</p>` : null}
        ${(order.shipments || []).length ? html`<h2>${t("orders.shipped")}</h2>${order.shipments.map((s) => html`<p class="shipment">${s.carrier} <span class="mono">${s.tracking_number}</span> · ${when(s.shipped_at)}</p>`)}` : null}
        <h2>${t("orders.events")}</h2>
        <ol class="events">${(order.events || []).map((e) => html`<li><span class="muted">${when(e.at)}</span> ${e.action}${e.to_status ? html` → <${Badge} value=${e.to_status} />` : null} ${e.reason ? html`<span class="muted">${e.reason}</span>` : null}</li>`)}</ol>
      </div>
    </div>
    <div class="grid two">
      <div class="card"><h2>${t("orders.payments")}</h2>
        ${payments ? html`<${Table} label=${t("orders.payments")} rows=${payments} columns=${[
          { title: "field.status", field: "status", kind: "status" }, { title: "orders.total", field: "amount", kind: "money" },
          { title: "audit.target", field: "channel" }, { title: "orders.placed", field: "created_at", kind: "datetime" },
        ]} />` : html`<${Loading} />`}</div>
      <div class="card"><h2>${t("orders.refunds")}</h2>
        ${refunds ? html`<${Table} label=${t("orders.refunds")} rows=${refunds} columns=${[
          { title: "orders.number", field: "number" }, { title: "orders.refundAmount", field: "amount", kind: "money" },
          { title: "field.status", field: "status", kind: "status" }, { title: "orders.reason", field: "reason" },
        ]} />` : html`<${Loading} />`}</div>
    </div>
    ${dialog ? html`<${Modal} title=${dialog.title} onClose=${() => setDialog(null)}>
      <${SchemaForm} schema=${dialog.schema} initial=${dialog.initial} money=${dialog.money} labels=${{ ...LABELS, ...(dialog.labels || {}) }} idPrefix="order"
        onSubmit=${async (body) => { await dialog.send(body); setDialog(null); toast(t("common.saved")); reload(); }} />
    </${Modal}>` : null}
  </section>`;
}
