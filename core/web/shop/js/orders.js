// Orders: the list by status, one order, cancel, confirm receipt, after-sales, reviews.
import {
  BASE, Empty, Header, Loading, Price, get, hasPlugin, html, navigate, post, problem, query, t,
  toast, useLoad, useState, when, yuan,
} from "./lib.js";

const TABS = ["", "pending_payment", "paid", "awaiting_group", "shipped", "completed"];

function OrderLines({ order }) {
  return order.lines.map((line) => html`<div class="order-line">
    <div class="thumb small">${line.image_url ? html`<img src=${line.image_url} alt="" />` : html`<span>${line.product_name.slice(0, 2)}</span>`}</div>
    <div class="line-body">
      <div class="name">${line.product_name}</div>
      <div class="muted small">${line.sku_name}</div>
      <div class="row small"><span>${yuan(line.sale_unit_price)} × ${line.quantity}</span><span>${yuan(line.pay_amount)}</span></div>
    </div>
  </div>`);
}

export function Orders() {
  const status = query().get("status") || "";
  const [orders, error] = useLoad(() => get(`/orders?page_size=50${status ? `&status=${status}` : ""}`), [status]);
  return html`<div class="page orders">
    <${Header} title=${t("orders.title")} />
    <nav class="tabs">
      ${TABS.map((s) => html`<a class=${s === status ? "on" : ""} href=${`${BASE}/orders${s ? `?status=${s}` : ""}`}>
        ${s ? t(`status.${s}`) : t("orders.all")}</a>`)}
    </nav>
    ${!orders
      ? html`<${Loading} error=${error} />`
      : !orders.length
        ? html`<${Empty} text=${t("orders.empty")} />`
        : orders.map((o) => html`<a class="card order-card" href=${`${BASE}/orders/${o.id}`} data-order=${o.id}>
            <div class="row"><span class="muted small">${o.number}</span><span class="status" data-status=${o.status}>${t(`status.${o.status}`)}</span></div>
            <${OrderLines} order=${o} />
            <div class="row"><span></span><span>${t("orders.paid_amount", { n: yuan(o.total) })}</span></div>
          </a>`)}
  </div>`;
}

/** The order's parcels: carrier and tracking number, and — where the store tracks parcels
 * (the tracking plugin) — each one's trail, newest event first. */
function Shipments({ order, trails }) {
  const parcels = trails || order.shipments.map((s) => ({ ...s, shipment_id: s.id, tracked: false, events: [] }));
  if (!parcels.length) return null;
  return html`<section class="card shipments">
    <h2 class="section-title">${t("orders.tracking")}</h2>
    ${parcels.map((p, i) => html`<div class="parcel" data-shipment=${p.shipment_id} key=${p.shipment_id}>
      <div class="row">
        <strong>${parcels.length > 1 ? `${t("tracking.parcel", { n: i + 1 })} · ` : ""}${p.carrier}</strong>
        ${p.tracked ? html`<span class="parcel-status" data-status=${p.status || "pending"}>${t(`tracking.status.${p.status || "pending"}`)}</span>` : null}
      </div>
      <div class="muted small">${t("tracking.number", { n: p.tracking_number })} · ${t("tracking.shipped", { t: when(p.shipped_at) })}</div>
      ${p.tracked && !p.events.length ? html`<div class="muted small trail-empty">${t("tracking.none")}</div>` : null}
      ${p.events.length
        ? html`<ol class="trail">${p.events.map((e, n) => html`<li class=${n === 0 ? "latest" : ""} data-status=${e.status}>
            <div>${e.description}</div>
            <div class="muted small">${when(e.occurred_at)}${e.location ? ` · ${e.location}` : ""}</div>
          </li>`)}</ol>`
        : null}
    </div>`)}
  </section>`;
}

export function OrderDetail({ id }) {
  const [order, error, reload] = useLoad(() => get(`/orders/${id}`), [id]);
  const [group] = useLoad(async () => {
    if (!order || !order.lines.some((l) => l.activity && l.activity.type === "groupbuy")) return null;
    return get(`/merchants/${order.merchant_id}/groupbuy/orders/${order.id}/group`).catch(() => null);
  }, [order && order.id, order && order.status]);
  const [plugins] = useLoad(async () => {
    if (!order) return {};
    return {
      aftersales: await hasPlugin(order.merchant_id, "aftersales"),
      reviews: await hasPlugin(order.merchant_id, "reviews"),
    };
  }, [order && order.merchant_id]);
  const [trails] = useLoad(async () => {
    if (!order || !order.shipments.length || !(await hasPlugin(order.merchant_id, "tracking"))) return null;
    return get(`/orders/${order.id}/tracking`).catch(() => null); // the parcels as the order has them
  }, [order && order.id, order && order.shipments.length]);
  if (!order) return html`<div class="page"><${Header} title=${t("orders.detail")} /><${Loading} error=${error} /></div>`;
  const act = async (path, done) => {
    try {
      await post(`/orders/${order.id}/${path}`, {});
      toast(done);
      reload();
    } catch (e) {
      toast(problem(e));
    }
  };
  const received = ["shipped", "completed"].includes(order.status);
  const paid = ["paid", "shipped", "completed"].includes(order.status);
  return html`<div class="page order-detail" data-order=${order.id}>
    <${Header} title=${t("orders.detail")} />
    <section class="card status-card">
      <h2 class="status" data-status=${order.status}>${t(`status.${order.status}`)}</h2>
      <div class="muted small">${t("orders.number", { n: order.number })}</div>
    </section>
    ${group
      ? html`<a class="card group-link" href=${`${BASE}/group/${order.merchant_id}/${group.id}`}>
          ${group.status === "succeeded" ? t("group.succeeded") : t("group.need", { n: group.seats_left })} ›
        </a>`
      : null}
    ${order.address
      ? html`<section class="card address"><div><strong>${order.address.recipient}</strong> ${order.address.phone}</div>
          <div class="muted small">${order.address.province}${order.address.city}${order.address.district} ${order.address.detail}</div></section>`
      : null}
    <${Shipments} order=${order} trails=${trails} />
    <section class="card">
      <${OrderLines} order=${order} />
      ${order.lines.map((line) => html`<div class="line-actions">
        ${plugins && plugins.aftersales && paid && !line.is_gift
          ? html`<a class="btn small ghost" href=${`${BASE}/aftersale/${order.id}/${line.id}`}>${t("orders.aftersale")}</a>`
          : null}
        ${plugins && plugins.reviews && order.status === "completed" && !line.is_gift
          ? html`<a class="btn small ghost" href=${`${BASE}/review/${order.id}/${line.id}`}>${t("orders.review")}</a>`
          : null}
      </div>`)}
      <div class="totals small">
        <div class="row"><span>${t("checkout.subtotal")}</span><span>${yuan(order.subtotal)}</span></div>
        <div class="row"><span>${t("checkout.discount")}</span><span>${yuan(-Math.abs(order.discount_total))}</span></div>
        <div class="row"><span>${t("checkout.freight")}</span><span>${yuan(order.freight)}</span></div>
        <div class="row"><strong>${t("checkout.total")}</strong><${Price} fen=${order.total} /></div>
      </div>
    </section>
    <footer class="action-bar">
      <a class="icon-link" href=${`${BASE}/chat/${order.merchant_id}?order=${order.id}`}>${t("product.chat")}</a>
      ${order.status === "pending_payment"
        ? html`<button type="button" class="btn ghost" onClick=${() => act("cancel", t("orders.cancelled"))}>${t("orders.cancel")}</button>
            <a class="btn" href=${`${BASE}/pay/${order.id}`}>${t("orders.pay")}</a>`
        : null}
      ${order.status === "shipped"
        ? html`<button type="button" class="btn" onClick=${() => act("confirm", t("orders.confirmed"))}>${t("orders.confirm")}</button>`
        : null}
      ${received ? null : null}
    </footer>
  </div>`;
}

export function AfterSale({ orderId, lineId }) {
  const [data, error] = useLoad(async () => {
    const order = await get(`/orders/${orderId}`);
    const settings = await get(`/merchants/${order.merchant_id}/aftersales/reasons`);
    return { order, settings };
  }, [orderId]);
  const [form, setForm] = useState({ type: "refund", reason: "", description: "" });
  if (!data) return html`<div class="page"><${Header} title=${t("aftersale.title")} /><${Loading} error=${error} /></div>`;
  const { order, settings } = data;
  const line = order.lines.find((l) => String(l.id) === String(lineId));
  const reasons = settings.reasons || [];
  const types = order.status === "paid" ? ["refund"] : ["refund", "return_refund", "exchange"];
  const submit = async (event) => {
    event.preventDefault();
    try {
      await post(`/merchants/${order.merchant_id}/aftersales/cases`, {
        order_id: order.id,
        order_line_id: line.id,
        type: form.type,
        quantity: line.quantity - line.refunded_quantity,
        reason: form.reason || reasons[0],
        description: form.description,
      });
      toast(t("aftersale.sent"));
      navigate("/aftersales", { replace: true });
    } catch (e) {
      toast(problem(e));
    }
  };
  return html`<div class="page">
    <${Header} title=${t("aftersale.title")} />
    <form class="card form" onSubmit=${submit}>
      <div class="muted">${line.product_name} · ${line.sku_name} · ${yuan(line.pay_amount)}</div>
      <fieldset>
        <legend>${t("aftersale.type")}</legend>
        ${types.map((type) => html`<label class="channel"><input type="radio" name="type" checked=${form.type === type}
          onChange=${() => setForm({ ...form, type })} /> ${t(`aftersale.${type}`)}</label>`)}
      </fieldset>
      <label class="field"><span>${t("aftersale.reason")}</span>
        <select name="reason" value=${form.reason || reasons[0]} onChange=${(e) => setForm({ ...form, reason: e.target.value })}>
          ${reasons.map((r) => html`<option value=${r}>${r}</option>`)}
        </select>
      </label>
      <label class="field"><span>${t("aftersale.description")}</span>
        <textarea name="description" maxlength="1000" onInput=${(e) => setForm({ ...form, description: e.target.value })}>${form.description}</textarea>
      </label>
      <button type="submit" class="btn wide">${t("aftersale.submit")}</button>
    </form>
  </div>`;
}

export function AfterSales() {
  const [cases, error] = useLoad(() => get("/me/aftersales/cases?page_size=50"));
  return html`<div class="page">
    <${Header} title=${t("aftersale.mine")} />
    ${!cases
      ? html`<${Loading} error=${error} />`
      : !cases.length
        ? html`<${Empty} text=${t("orders.empty")} />`
        : cases.map((c) => html`<section class="card aftersale-case" data-case=${c.id}>
            <div class="row"><span class="muted small">${c.number}</span><span class="status">${t(`aftersale.status.${c.status}`) === `aftersale.status.${c.status}` ? c.status : t(`aftersale.status.${c.status}`)}</span></div>
            <div>${t(`aftersale.${c.type}`)} · ${c.reason}</div>
            <div class="row small"><span>${(c.line && c.line.product_name) || ""}</span><span>${yuan(c.amount)}</span></div>
          </section>`)}
  </div>`;
}

export function Review({ orderId, lineId }) {
  const [order, error] = useLoad(() => get(`/orders/${orderId}`), [orderId]);
  const [form, setForm] = useState({ rating: 5, service_rating: 5, logistics_rating: 5, text: "" });
  if (!order) return html`<div class="page"><${Header} title=${t("review.title")} /><${Loading} error=${error} /></div>`;
  const line = order.lines.find((l) => String(l.id) === String(lineId));
  const stars = (name) => html`<div class="row stars-input"><span>${t(`review.${name === "rating" ? "rating" : name.replace("_rating", "")}`)}</span>
    <span>${[1, 2, 3, 4, 5].map((n) => html`<button type="button" class=${`star ${n <= form[name] ? "on" : ""}`} aria-label=${`${n}`}
      onClick=${() => setForm({ ...form, [name]: n })}>★</button>`)}</span></div>`;
  const submit = async (event) => {
    event.preventDefault();
    const body = { order_line_id: line.id, rating: form.rating, service_rating: form.service_rating, text: form.text };
    if (order.shipped_at) body.logistics_rating = form.logistics_rating;
    try {
      await post(`/merchants/${order.merchant_id}/reviews`, body);
      toast(t("review.sent"));
      navigate(`/product/${line.product_id}`, { replace: true });
    } catch (e) {
      toast(problem(e));
    }
  };
  return html`<div class="page">
    <${Header} title=${t("review.title")} />
    <form class="card form" onSubmit=${submit}>
      <div class="muted">${line.product_name} · ${line.sku_name}</div>
      ${stars("rating")}${stars("service_rating")}${order.shipped_at ? stars("logistics_rating") : null}
      <textarea name="text" placeholder=${t("review.text")} maxlength="2000"
        onInput=${(e) => setForm({ ...form, text: e.target.value })}>${form.text}</textarea>
      <button type="submit" class="btn wide">${t("review.submit")}</button>
    </form>
  </div>`;
}
