// The cart: lines by store, re-priced by the server; select, change quantities, remove;
// unavailable lines say why.
import {
  BASE, Empty, Header, Loading, Price, Stepper, api, emit, html, navigate, post, problem, t,
  toast, useLoad, yuan,
} from "./lib.js";

function reason(line) {
  return t(`reason.${line.reason}`, { n: line.stock });
}

export function Cart() {
  const [cart, error, reload] = useLoad(() => api("GET", "/cart"));
  if (!cart) return html`<div class="page"><${Header} title=${t("cart.title")} back=${false} /><${Loading} error=${error} /></div>`;

  const act = async (call) => {
    try {
      await call();
    } catch (e) {
      toast(problem(e));
    }
    reload();
    emit();
  };
  const lines = cart.merchants.flatMap((m) => m.lines);
  const usable = lines.filter((l) => l.available);
  const allSelected = usable.length > 0 && usable.every((l) => l.selected);
  const selected = usable.filter((l) => l.selected);
  const total = cart.merchants.reduce((sum, m) => sum + m.total, 0);

  return html`<div class="page cart">
    <${Header} title=${t("cart.title")} back=${false} />
    ${!lines.length ? html`<${Empty} text=${t("cart.empty")} />` : null}
    ${cart.merchants.map((m) => html`<section class="card store-block" data-merchant=${m.merchant_id}>
      <h2 class="store-name">${m.merchant_name}</h2>
      ${m.hints.map((hint) => html`<p class="hint">${hint.text || hint.message || hint.label}</p>`)}
      ${m.lines.map((line) => html`<div class=${`cart-line ${line.available ? "" : "unavailable"}`} data-line=${line.id}>
        <input type="checkbox" aria-label=${line.product_name} checked=${line.selected && line.available}
          disabled=${!line.available}
          onChange=${(e) => act(() => api("PATCH", `/cart/lines/${line.id}`, { selected: e.target.checked }))} />
        <a class="thumb small" href=${`${BASE}/product/${line.product_id}`}>
          ${line.image_url ? html`<img src=${line.image_url} alt="" />` : html`<span>${line.product_name.slice(0, 2)}</span>`}
        </a>
        <div class="line-body">
          <div class="name">${line.product_name}</div>
          <div class="muted small">${line.sku_name}</div>
          ${line.available
            ? null
            : html`<div class="reason" role="note">${t("cart.unavailable")} · ${reason(line)}</div>`}
          ${line.price_changed ? html`<div class="hint small">${t("cart.price_changed")}</div>` : null}
          <div class="row">
            <span>
              <${Price} fen=${line.sale_unit_price} original=${line.unit_price} />
              ${line.price_label ? html` <span class="tag">${line.price_label}</span>` : null}
            </span>
            <${Stepper} value=${line.quantity} max=${Math.max(line.quantity, line.stock)} label=${line.product_name}
              onChange=${(q) => act(() => api("PATCH", `/cart/lines/${line.id}`, { quantity: q }))} />
          </div>
          <button type="button" class="link small" onClick=${() => act(() => api("DELETE", `/cart/lines/${line.id}`))}>
            ${t("cart.remove")}
          </button>
        </div>
      </div>`)}
      ${m.discount_total ? html`<div class="row small"><span>${t("checkout.discount")}</span><span>${yuan(-Math.abs(m.discount_total))}</span></div>` : null}
    </section>`)}
    ${lines.length
      ? html`<footer class="action-bar cart-bar">
          <label><input type="checkbox" checked=${allSelected}
            onChange=${(e) => act(() => post("/cart/select", { selected: e.target.checked }))} /> ${t("cart.all")}</label>
          <span class="total">${t("cart.total")}<${Price} fen=${total} /></span>
          <button type="button" class="btn" disabled=${!selected.length}
            onClick=${() => navigate("/checkout")}>${t("cart.checkout", { n: selected.reduce((s, l) => s + l.quantity, 0) })}</button>
        </footer>`
      : null}
  </div>`;
}
