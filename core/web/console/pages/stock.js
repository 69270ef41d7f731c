// Stock: every SKU with its stock (low ones only, if you like), adjust and stock-take, the
// movements ledger and the alerts.
import { html, useState, get, api, t, Table, Pager, Loading, Failure, Modal, SchemaForm, useLoad, toast, query, Badge } from "/console/lib.js";

const WRITERS = ["owner", "manager", "admin"];
const ADJUST = {
  type: "object", required: ["delta"],
  properties: { delta: { type: "integer" }, reason: { type: "string", enum: ["adjustment", "stocktake", "cancel", "refund", "transfer"], default: "adjustment" }, note: { type: "string", maxLength: 255 } },
};
const COUNT = { type: "object", required: ["counted"], properties: { counted: { type: "integer", minimum: 0 }, note: { type: "string", maxLength: 255 } } };
const LABELS = { delta: "stock.delta", reason: "stock.reason", note: "field.note", counted: "stock.counted" };
const specsText = (s) => Object.values(s.specs || {}).join(" / ") || s.code;

export function Stock({ merchantId, role }) {
  const [tab, setTab] = useState("skus");
  const tabs = [["skus", "stock.title"], ["movements", "stock.movements"], ["alerts", "stock.alerts"]];
  return html`<section class="page">
    <header class="page-head"><h1>${t("stock.title")}</h1></header>
    <div class="tabs" role="tablist">${tabs.map(([k, label]) => html`<button role="tab" data-tab=${k} aria-selected=${tab === k} class=${tab === k ? "tab active" : "tab"} onClick=${() => setTab(k)}>${t(label)}</button>`)}</div>
    ${tab === "skus" ? html`<${Skus} merchantId=${merchantId} canEdit=${WRITERS.includes(role)} />` : tab === "movements" ? html`<${Movements} merchantId=${merchantId} />` : html`<${Alerts} merchantId=${merchantId} canEdit=${WRITERS.includes(role)} />`}
  </section>`;
}

function Skus({ merchantId, canEdit }) {
  const productId = new URLSearchParams(location.search).get("product_id") || "";
  const [low, setLow] = useState(false);
  const [page, setPage] = useState(1);
  const [data, error, reload] = useLoad(() => get(`/merchants/${merchantId}/skus${query({ low: low ? "true" : "", product_id: productId, page, page_size: 30 })}`, { page: true }), [merchantId, low, page, productId]);
  const [dialog, setDialog] = useState(null);
  const submit = async (body) => {
    const sku = dialog.sku;
    if (dialog.kind === "adjust") await api("POST", `/merchants/${merchantId}/stock/adjust`, { lines: [{ sku_id: sku.id, delta: body.delta }], reason: body.reason || "adjustment", note: body.note || "" });
    else await api("POST", `/merchants/${merchantId}/stock/stocktake`, { lines: [{ sku_id: sku.id, counted: body.counted }], note: body.note || "" });
    setDialog(null); toast(t("common.saved")); reload();
  };
  return html`
    <label class="check"><input type="checkbox" name="low" checked=${low} onChange=${(e) => { setLow(e.target.checked); setPage(1); }} /> ${t("stock.low")}</label>
    ${error ? html`<${Failure} error=${error} />` : !data ? html`<${Loading} />` : html`
      <${Table} label=${t("stock.title")} rows=${data.items} columns=${[
        { title: "stock.product", field: "product_name" }, { title: "stock.sku", render: specsText },
        { title: "products.code", render: (s) => html`<span class="mono">${s.code}</span>` },
        { title: "products.price", field: "price", kind: "money" },
        { title: "products.stock", kind: "number", render: (s) => html`<span class=${`num ${s.low_stock_threshold !== null && s.stock <= s.low_stock_threshold ? "bad-text" : ""}`} data-stock=${s.stock}>${s.stock}</span>` },
        { title: "stock.threshold", field: "low_stock_threshold", kind: "number" },
      ]} actions=${canEdit ? (s) => html`<button class="btn small" data-action="adjust" onClick=${() => setDialog({ kind: "adjust", sku: s })}>${t("stock.adjust")}</button>
        <button class="btn small" data-action="stocktake" onClick=${() => setDialog({ kind: "count", sku: s })}>${t("stock.stocktake")}</button>` : null} />
      <${Pager} page=${page} pages=${data.pages} onPage=${setPage} />`}
    ${dialog ? html`<${Modal} title=${`${dialog.kind === "adjust" ? t("stock.adjust") : t("stock.stocktake")} · ${dialog.sku.product_name} ${specsText(dialog.sku)}`} onClose=${() => setDialog(null)}>
      <p class="muted">${t("products.stock")}: ${dialog.sku.stock}</p>
      <${SchemaForm} schema=${dialog.kind === "adjust" ? ADJUST : COUNT} initial=${dialog.kind === "count" ? { counted: dialog.sku.stock } : {}} labels=${LABELS} idPrefix="stock" onSubmit=${submit} />
    </${Modal}>` : null}`;
}

function Movements({ merchantId }) {
  const [page, setPage] = useState(1);
  const [data, error] = useLoad(() => get(`/merchants/${merchantId}/stock/movements${query({ page, page_size: 30 })}`, { page: true }), [merchantId, page]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!data) return html`<${Loading} />`;
  return html`<${Table} label=${t("stock.movements")} rows=${data.items} columns=${[
    { title: "stock.when", field: "created_at", kind: "datetime" }, { title: "stock.sku", render: (m) => `#${m.sku_id}` },
    { title: "stock.delta", kind: "number", render: (m) => html`<span class="num">${m.quantity > 0 ? `+${m.quantity}` : m.quantity}</span>` },
    { title: "stock.balance", field: "balance_after", kind: "number" },
    { title: "stock.reason", render: (m) => html`<${Badge} value=${m.reason} />` },
    { title: "field.note", render: (m) => m.note || (m.reference_type ? `${m.reference_type} ${m.reference_id}` : "—") },
  ]} /><${Pager} page=${page} pages=${data.pages} onPage=${setPage} />`;
}

function Alerts({ merchantId, canEdit }) {
  const [data, error, reload] = useLoad(() => get(`/merchants/${merchantId}/stock/alerts?page_size=50`), [merchantId]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!data) return html`<${Loading} />`;
  const ack = async (a) => { await api("POST", `/merchants/${merchantId}/stock/alerts/${a.id}/acknowledge`); toast(t("common.done")); reload(); };
  return html`<${Table} label=${t("stock.alerts")} rows=${data} columns=${[
    { title: "stock.when", field: "created_at", kind: "datetime" }, { title: "stock.product", render: (a) => `#${a.product_id}` },
    { title: "stock.sku", render: (a) => `#${a.sku_id}` }, { title: "products.stock", field: "stock", kind: "number" },
    { title: "stock.threshold", field: "threshold", kind: "number" },
    { title: "field.status", render: (a) => html`<span class=${`badge ${a.acknowledged_at ? "mute" : "warn"}`}>${a.acknowledged_at ? t("dash.ack") : t("status.pending")}</span>` },
  ]} actions=${canEdit ? (a) => (a.acknowledged_at ? null : html`<button class="btn small" onClick=${() => ack(a)}>${t("dash.ack")}</button>`) : null} />`;
}
