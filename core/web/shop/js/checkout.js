// Checkout (address, delivery, coupons, points, payment channel), paying through the
// channel's cashier and coming back, and the address book.
import {
  BASE, Empty, Header, Loading, couponText, Price, api, emit, get, hasPlugin, html, idempotencyKey, navigate,
  post, problem, query, t, toast, useEffect, useLoad, useState, yuan,
} from "./lib.js";

const PENDING = "mallkit.shop.paying"; // the orders being paid, for the page the cashier returns to

function channelName(channel) {
  const key = `channel.${channel.code}`;
  const word = t(key);
  return word === key ? channel.title : word;
}

/** How this storefront pays through a channel: the method a phone browser uses. */
const WEB_METHOD = { wechat: "h5", alipay: "wap", manual: "transfer", balance: "" };

export async function pay(orderIds, channel) {
  sessionStorage.setItem(PENDING, JSON.stringify({ orders: orderIds, channel }));
  const back = `${location.origin}${BASE}/pay/result?orders=${orderIds.join(",")}`;
  for (const orderId of orderIds) {
    const attempt = await post(
      `/orders/${orderId}/payments`,
      { channel, method: WEB_METHOD[channel] ?? "" },
      { headers: { "Idempotency-Key": idempotencyKey() } },
    );
    const data = attempt.channel_data || {};
    // One cashier at a time: a checkout across stores pays the others from the order list.
    if (data.h5_url) {
      location.href = `${data.h5_url}${data.h5_url.includes("?") ? "&" : "?"}redirect_url=${encodeURIComponent(back)}`;
      return;
    }
    if (data.pay_url) {
      location.href = data.pay_url;
      return;
    }
    if (channel === "manual") {
      sessionStorage.setItem(`mallkit.shop.transfer.${orderId}`, JSON.stringify(data));
    }
  }
  navigate(`/pay/result?orders=${orderIds.join(",")}`);
}

function AddressForm({ onSaved, onCancel }) {
  const [form, setForm] = useState({ recipient: "", phone: "", province: "", city: "", district: "", detail: "" });
  const [errors, setErrors] = useState({});
  const field = (name) => html`<label class="field">
    <span>${t(`address.${name}`)}</span>
    <input name=${name} value=${form[name]} onInput=${(e) => setForm({ ...form, [name]: e.target.value })} />
    ${errors[name] ? html`<small class="error">${errors[name].join(" ")}</small>` : null}
  </label>`;
  const save = async (event) => {
    event.preventDefault();
    try {
      const saved = await post("/me/addresses", form);
      onSaved(saved);
    } catch (error) {
      setErrors(error.errors || {});
      toast(problem(error));
    }
  };
  return html`<form class="card address-form" onSubmit=${save}>
    ${["recipient", "phone", "province", "city", "district", "detail"].map(field)}
    <div class="row">
      ${onCancel ? html`<button type="button" class="btn ghost" onClick=${onCancel}>${t("cancel")}</button>` : null}
      <button type="submit" class="btn">${t("save")}</button>
    </div>
  </form>`;
}

function addressLine(a) {
  return `${a.province}${a.city}${a.district} ${a.detail}`;
}

function AddressPicker({ addresses, chosen, onChoose, onAdded }) {
  const [open, setOpen] = useState(false);
  const [adding, setAdding] = useState(!addresses.length);
  const current = addresses.find((a) => a.id === chosen);
  if (adding) {
    return html`<section class="card">
      <h2 class="section-title">${t("checkout.add_address")}</h2>
      <${AddressForm} onSaved=${(a) => { setAdding(false); onAdded(a); }}
        onCancel=${addresses.length ? () => setAdding(false) : null} />
    </section>`;
  }
  return html`<section class="card address" onClick=${() => setOpen(!open)}>
    ${current
      ? html`<div><strong>${current.recipient}</strong> ${current.phone}</div><div class="muted small">${addressLine(current)}</div>`
      : html`<div>${t("checkout.choose_address")}</div>`}
    ${open
      ? html`<ul class="choices" onClick=${(e) => e.stopPropagation()}>
          ${addresses.map((a) => html`<li>
            <label><input type="radio" name="address" checked=${a.id === chosen}
              onChange=${() => { onChoose(a.id); setOpen(false); }} />
              ${a.recipient} · ${addressLine(a)} ${a.is_default ? html`<span class="tag">${t("address.default")}</span>` : null}</label>
          </li>`)}
          <li><button type="button" class="link" onClick=${() => setAdding(true)}>+ ${t("checkout.add_address")}</button></li>
        </ul>`
      : null}
  </section>`;
}

function CouponChoice({ store, coupons, chosen, onChoose }) {
  const applied = store.applied.filter((a) => a.kind === "coupon");
  const unusable = store.unusable.filter((a) => a.kind === "coupon");
  const mine = coupons.filter((c) => c.merchant_id === store.merchant_id && c.status === "unused");
  const [open, setOpen] = useState(false);
  if (!applied.length && !unusable.length && !mine.length) return null;
  const summary = applied.length
    ? `${applied.map((a) => a.label).join("，")} ${yuan(-Math.abs(applied.reduce((s, a) => s + a.amount, 0)))}`
    : t("none");
  const unusableIds = new Set(unusable.map((u) => u.data && u.data.user_coupon_id));
  return html`<div class="cell coupon-cell" data-merchant=${store.merchant_id}>
    <button type="button" class="cell-button" onClick=${() => setOpen(!open)}>
      <span class="cell-label">${t("checkout.coupons")}</span>
      <span class="coupon-summary">${chosen === null && applied.length ? html`<span class="tag">${t("checkout.best")}</span> ` : null}${summary}</span>
    </button>
    ${open
      ? html`<ul class="choices coupons-list">
          ${mine.filter((c) => !unusableIds.has(c.id)).map((c) => html`<li>
            <label><input type="radio" name=${`coupon-${store.merchant_id}`}
              checked=${chosen === c.id || (chosen === null && applied.some((a) => a.data && a.data.user_coupon_id === c.id))}
              onChange=${() => onChoose(c.id)} /> ${couponText(c)}</label>
          </li>`)}
          ${unusable.map((u) => html`<li class="unusable">
            <span>${u.label}</span> <span class="reason">${t("checkout.unusable")}：${u.reason}</span>
          </li>`)}
        </ul>`
      : null}
  </div>`;
}

function PointsChoice({ store, member, points, onChange }) {
  if (!member || !member.points) return null;
  const used = store.applied.find((a) => a.kind === "points");
  return html`<label class="cell points-cell">
    <span class="cell-label">${t("checkout.points")}</span>
    <span class="muted small">${t("checkout.points_have", { n: member.points })}</span>
    ${used ? html`<span>${yuan(-Math.abs(used.amount))}</span>` : null}
    <input type="checkbox" checked=${points > 0} onChange=${(e) => onChange(e.target.checked ? member.points : 0)} />
  </label>`;
}

export function Checkout() {
  const buyNow = query().get("mode") === "buy";
  const items = buyNow ? JSON.parse(sessionStorage.getItem("mallkit.shop.buy") || "null") : null;
  const [addresses, addressError, reloadAddresses] = useLoad(() => get("/me/addresses"));
  // from the cart: the selected lines that can be bought (an unavailable one would refuse
  // the whole checkout; the cart shows why it is out)
  const [lineIds] = useLoad(async () => {
    if (buyNow) return null;
    const cart = await get("/cart");
    return cart.merchants.flatMap((m) => m.lines).filter((l) => l.selected && l.available).map((l) => l.id);
  });
  const [coupons] = useLoad(() => get("/me/coupons?page_size=100").catch(() => []));
  const [addressId, setAddressId] = useState(null);
  const [options, setOptions] = useState({}); // merchant id → {coupon: id|null, points, shipping_code}
  const [channel, setChannel] = useState(null);
  const [note, setNote] = useState("");
  const [preview, setPreview] = useState(null);
  const [previewError, setPreviewError] = useState(null);
  const [members, setMembers] = useState({});
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (addresses && addresses.length && addressId === null) setAddressId(addresses[0].id);
  }, [addresses]);

  const body = () => {
    const request = { address_id: addressId, buyer_note: note };
    if (items) request.items = items;
    else if (lineIds) request.cart_line_ids = lineIds;
    request.merchants = Object.entries(options).map(([merchantId, o]) => {
      const entry = { merchant_id: Number(merchantId), points: o.points || 0 };
      if (o.coupon) entry.coupon_ids = [o.coupon];
      if (o.shipping_code) entry.shipping_code = o.shipping_code;
      return entry;
    });
    const share = sessionStorage.getItem("mallkit.shop.share");
    if (share) request.share_code = share;
    return request;
  };

  useEffect(() => {
    if (!addresses || (addresses.length && addressId === null) || (!buyNow && !lineIds)) return;
    let live = true;
    post("/checkout/preview", body()).then(
      async (answer) => {
        if (!live) return;
        setPreview(answer);
        setPreviewError(null);
        const channels = answer.merchants.flatMap((m) => m.payment_channels.map((c) => c.code));
        if (!channel || !channels.includes(channel)) {
          setChannel(channels.includes("wechat") ? "wechat" : channels[0] || null);
        }
        for (const m of answer.merchants) {
          if (members[m.merchant_id] === undefined && (await hasPlugin(m.merchant_id, "membership"))) {
            const member = await get(`/merchants/${m.merchant_id}/membership/me`).catch(() => null);
            setMembers((all) => ({ ...all, [m.merchant_id]: member }));
          }
        }
      },
      (error) => live && setPreviewError(error),
    );
    return () => {
      live = false;
    };
  }, [addresses, addressId, lineIds, JSON.stringify(options), note]);

  const setOption = (merchantId, change) =>
    setOptions({ ...options, [merchantId]: { ...(options[merchantId] || {}), ...change } });

  const place = async () => {
    if (!addressId) return toast(t("checkout.need_address"));
    setBusy(true);
    try {
      const orders = await post("/checkout/place", body(), { headers: { "Idempotency-Key": idempotencyKey() } });
      sessionStorage.removeItem("mallkit.shop.buy");
      emit();
      await pay(orders.map((o) => o.id), channel);
    } catch (error) {
      toast(problem(error));
      setBusy(false);
    }
  };

  if (!addresses) return html`<div class="page"><${Header} title=${t("checkout.title")} /><${Loading} error=${addressError} /></div>`;
  const channels = preview ? preview.merchants[0]?.payment_channels || [] : [];
  return html`<div class="page checkout">
    <${Header} title=${t("checkout.title")} />
    <${AddressPicker} addresses=${addresses} chosen=${addressId} onChoose=${setAddressId}
      onAdded=${(a) => { setAddressId(a.id); reloadAddresses(); }} />
    ${previewError ? html`<p class="empty error" role="alert">${problem(previewError)}</p>` : null}
    ${preview
      ? preview.merchants.map((store) => html`<section class="card store-block" data-merchant=${store.merchant_id}>
          <h2 class="store-name">${store.merchant_name}</h2>
          ${store.lines.map((line) => html`<div class="checkout-line">
            <div class="name">${line.product_name || `SKU ${line.sku_id}`}${line.is_gift ? html` <span class="tag">赠</span>` : null}</div>
            <div class="row small">
              <span>${line.price_label ? html`<span class="tag">${line.price_label}</span> ` : null}${yuan(line.sale_unit_price)} × ${line.quantity}</span>
              <span>${yuan(line.pay_amount)}</span>
            </div>
          </div>`)}
          <div class="cell">
            <span class="cell-label">${t("checkout.shipping")}</span>
            <select aria-label=${t("checkout.shipping")} value=${store.shipping && store.shipping.code}
              onChange=${(e) => setOption(store.merchant_id, { shipping_code: e.target.value })}>
              ${store.shipping_options.map((o) => html`<option value=${o.code} disabled=${!o.deliverable}>
                ${o.label} ${o.amount ? yuan(o.amount) : ""}${o.deliverable ? "" : ` (${o.reason || t("checkout.undeliverable")})`}
              </option>`)}
            </select>
          </div>
          ${store.applied.filter((a) => a.kind !== "coupon" && a.kind !== "points").map((a) => html`<div class="row small applied">
            <span class="tag">${a.label}</span><span>${yuan(-Math.abs(a.amount))}</span>
          </div>`)}
          <${CouponChoice} store=${store} coupons=${coupons || []} chosen=${(options[store.merchant_id] || {}).coupon ?? null}
            onChoose=${(id) => setOption(store.merchant_id, { coupon: id })} />
          <${PointsChoice} store=${store} member=${members[store.merchant_id]}
            points=${(options[store.merchant_id] || {}).points || 0}
            onChange=${(points) => setOption(store.merchant_id, { points })} />
          <div class="totals small">
            <div class="row"><span>${t("checkout.subtotal")}</span><span>${yuan(store.subtotal)}</span></div>
            <div class="row"><span>${t("checkout.discount")}</span><span>${yuan(-Math.abs(store.discount_total))}</span></div>
            <div class="row"><span>${t("checkout.freight")}</span><span>${yuan(store.freight)}</span></div>
          </div>
        </section>`)
      : html`<${Loading} error=${null} />`}
    <label class="card field">
      <span>${t("checkout.note")}</span>
      <input value=${note} maxlength="500" onChange=${(e) => setNote(e.target.value)} />
    </label>
    ${channels.length
      ? html`<section class="card channels" role="radiogroup" aria-label=${t("checkout.pay_with")}>
          <h2 class="section-title">${t("checkout.pay_with")}</h2>
          ${channels.map((c) => html`<label class="channel">
            <input type="radio" name="channel" value=${c.code} checked=${channel === c.code} onChange=${() => setChannel(c.code)} />
            ${channelName(c)}
          </label>`)}
        </section>`
      : null}
    <footer class="action-bar">
      <span class="total">${t("checkout.total")} <${Price} fen=${preview ? preview.total : 0} /></span>
      <button type="button" class="btn" disabled=${!preview || busy || !channel} onClick=${place}>${t("checkout.place")}</button>
    </footer>
  </div>`;
}

/** Pay an order placed earlier (from the order list or detail). */
export function PayOrder({ id }) {
  const [order, error] = useLoad(() => get(`/orders/${id}`), [id]);
  const [channels] = useLoad(async () => {
    if (!order) return null;
    // the channels the store offers: what a checkout preview of the same items lists
    const preview = await post("/checkout/preview", {
      items: order.lines.filter((l) => !l.is_gift).map((l) => ({ sku_id: l.sku_id, quantity: l.quantity })),
      address: order.address,
    }).catch(() => null);
    return preview ? preview.merchants[0].payment_channels : [{ code: order.payment_channel || "wechat", title: "" }];
  }, [order && order.id]);
  const [channel, setChannel] = useState("wechat");
  if (!order) return html`<div class="page"><${Header} title=${t("pay.title")} /><${Loading} error=${error} /></div>`;
  return html`<div class="page">
    <${Header} title=${t("pay.title")} />
    <section class="card center">
      <p>${t("orders.number", { n: order.number })}</p>
      <p class="big"><${Price} fen=${order.total} /></p>
    </section>
    ${channels
      ? html`<section class="card channels">
          ${channels.map((c) => html`<label class="channel">
            <input type="radio" name="channel" checked=${channel === c.code} onChange=${() => setChannel(c.code)} /> ${channelName(c)}
          </label>`)}
        </section>`
      : html`<${Loading} />`}
    <footer class="action-bar">
      <button type="button" class="btn wide" onClick=${() => pay([order.id], channel).catch((e) => toast(problem(e)))}>
        ${t("orders.pay")} ${yuan(order.total)}
      </button>
    </footer>
  </div>`;
}

const SETTLED = ["paid", "awaiting_group", "shipped", "completed"];

/** Where the cashier sends the buyer back: wait for the payment to be confirmed (the
 * gateway's notification, not the return, is what marks an order paid). */
export function PayResult() {
  const ids = (query().get("orders") || JSON.parse(sessionStorage.getItem(PENDING) || "{}").orders?.join(",") || "")
    .split(",").filter(Boolean);
  const [orders, setOrders] = useState(null);
  const [tries, setTries] = useState(0);
  useEffect(() => {
    let live = true;
    Promise.all(ids.map((id) => get(`/orders/${id}`))).then(
      (found) => {
        if (!live) return;
        setOrders(found);
        if (!found.every((o) => SETTLED.includes(o.status)) && tries < 30) {
          setTimeout(() => live && setTries(tries + 1), 1000);
        }
      },
      () => live && setOrders([]),
    );
    return () => {
      live = false;
    };
  }, [tries]);
  if (!orders) return html`<div class="page"><${Header} title=${t("pay.title")} back=${false} /><${Loading} /></div>`;
  if (!orders.length) return html`<div class="page"><${Header} title=${t("pay.title")} /><${Empty} text=${t("orders.empty")} /></div>`;
  const done = orders.every((o) => SETTLED.includes(o.status));
  const waiting = !done && tries < 30;
  return html`<div class="page pay-result">
    <${Header} title=${t("pay.title")} back=${false} />
    <section class="card center">
      <div class=${`result-icon ${done ? "ok" : ""}`}>${done ? "✓" : "…"}</div>
      <h2 class="result-title" data-status=${done ? "paid" : "waiting"}>${done ? t("pay.paid") : waiting ? t("pay.waiting") : t("pay.not_yet")}</h2>
      ${orders.map((o) => html`<div class="row order-row" data-order=${o.id}>
        <span>${t("orders.number", { n: o.number })}</span>
        <span class="status" data-status=${o.status}>${t(`status.${o.status}`)}</span>
        <${Price} fen=${o.total} />
      </div>`)}
      ${orders.map((o) => {
        const transfer = sessionStorage.getItem(`mallkit.shop.transfer.${o.id}`);
        if (o.status !== "pending_payment" || !transfer) return null;
        const data = JSON.parse(transfer);
        return html`<div class="transfer"><p>${t("pay.transfer")}</p>
          <pre>${Object.entries(data).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join("\n")}</pre></div>`;
      })}
    </section>
    <div class="pad stack">
      ${orders.filter((o) => o.status === "awaiting_group").map((o) => html`<${GroupLink} order=${o} />`)}
      ${!done && !waiting ? html`<a class="btn wide" href=${`${BASE}/pay/${orders[0].id}`}>${t("pay.again")}</a>` : null}
      <a class="btn ghost wide" href=${orders.length === 1 ? `${BASE}/orders/${orders[0].id}` : `${BASE}/orders`}>${t("pay.view_order")}</a>
      <a class="btn ghost wide" href=${`${BASE}/`}>${t("pay.home")}</a>
    </div>
  </div>`;
}

/** After paying for a group: straight to the group's page, to invite friends. */
function GroupLink({ order }) {
  const [group] = useLoad(() => get(`/merchants/${order.merchant_id}/groupbuy/orders/${order.id}/group`), [order.id]);
  if (!group) return null;
  return html`<a class="btn wide" href=${`${BASE}/group/${order.merchant_id}/${group.id}`}>${t("pay.group")}</a>`;
}

export function Addresses() {
  const [addresses, error, reload] = useLoad(() => get("/me/addresses"));
  const [adding, setAdding] = useState(false);
  if (!addresses) return html`<div class="page"><${Header} title=${t("me.addresses")} /><${Loading} error=${error} /></div>`;
  return html`<div class="page">
    <${Header} title=${t("me.addresses")} />
    ${addresses.map((a) => html`<section class="card address">
      <div><strong>${a.recipient}</strong> ${a.phone} ${a.is_default ? html`<span class="tag">${t("address.default")}</span>` : null}</div>
      <div class="muted small">${addressLine(a)}</div>
      <div class="row">
        ${a.is_default ? html`<span></span>` : html`<button type="button" class="link small"
          onClick=${() => api("PATCH", `/me/addresses/${a.id}`, { is_default: true }).then(reload, (e) => toast(problem(e)))}>${t("address.default")}</button>`}
        <button type="button" class="link small" onClick=${() => api("DELETE", `/me/addresses/${a.id}`).then(reload, (e) => toast(problem(e)))}>${t("cart.remove")}</button>
      </div>
    </section>`)}
    ${adding
      ? html`<${AddressForm} onSaved=${() => { setAdding(false); reload(); }} onCancel=${() => setAdding(false)} />`
      : html`<div class="pad"><button type="button" class="btn wide" onClick=${() => setAdding(true)}>+ ${t("checkout.add_address")}</button></div>`}
  </div>`;
}
