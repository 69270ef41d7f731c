// The product page: pictures, the SKU picker, prices (member and activity prices), offers,
// coupons to claim, reviews, and the group-buy and bargain entries.
import {
  BASE, Countdown, Header, couponText, track, Loading, Price, Stepper, get, hasPlugin, html, idempotencyKey,
  navigate, post, problem, requireSignIn, t, toast, token, useEffect, useLoad, useState, yuan,
} from "./lib.js";
import { AdSlot } from "./home.js";

/** The SKU whose specs match every chosen value, or null. */
function matching(product, chosen) {
  return (
    product.skus.find((sku) => product.specs.every((spec) => sku.specs[spec.name] === chosen[spec.name])) ||
    null
  );
}

function firstInStock(product) {
  const sku = product.skus.find((s) => s.stock > 0) || product.skus[0];
  return sku ? { ...sku.specs } : {};
}

function SkuPicker({ product, chosen, setChosen }) {
  return html`<div class="sku-picker">
    ${product.specs.map((spec) => html`<div class="spec">
      <div class="spec-name">${spec.name}</div>
      <div class="spec-values" role="radiogroup" aria-label=${spec.name}>
        ${spec.values.map((value) => {
          const trial = { ...chosen, [spec.name]: value };
          const sku = matching(product, trial);
          const soldOut = !sku || sku.stock <= 0;
          return html`<button type="button" role="radio" aria-checked=${chosen[spec.name] === value}
            class=${`chip ${chosen[spec.name] === value ? "on" : ""} ${soldOut ? "out" : ""}`}
            onClick=${() => setChosen(trial)}>${value}</button>`;
        })}
      </div>
    </div>`)}
  </div>`;
}

/** What this buyer would pay for one of the SKU (member price ...): a checkout preview
 * writes nothing, so it is the honest way to show a personal price. */
function usePersonalPrice(sku) {
  const [price, setPrice] = useState(null);
  useEffect(() => {
    setPrice(null);
    if (!sku || !token() || sku.stock <= 0) return;
    let live = true;
    post("/checkout/preview", { items: [{ sku_id: sku.id, quantity: 1 }] }).then(
      (preview) => {
        const line = preview.merchants[0] && preview.merchants[0].lines[0];
        if (live && line && line.sale_unit_price < sku.price) setPrice(line);
      },
      () => {},
    );
    return () => {
      live = false;
    };
  }, [sku && sku.id]);
  return price;
}

function Promotions({ product }) {
  const [items] = useLoad(async () => {
    if (!(await hasPlugin(product.merchant_id, "promotions"))) return [];
    return get(`/merchants/${product.merchant_id}/products/${product.id}/promotions`);
  }, [product.id]);
  if (!items || !items.length) return null;
  return html`<div class="cell">
    <span class="cell-label">${t("product.promotions")}</span>
    <div>${items.map((p) => html`<div class="tag-line"><span class="tag">${p.name}</span> ${p.summary}</div>`)}</div>
  </div>`;
}

function Coupons({ product }) {
  const [items, , reload] = useLoad(async () => {
    if (!(await hasPlugin(product.merchant_id, "coupons"))) return [];
    return get(`/merchants/${product.merchant_id}/coupon-centre?product_id=${product.id}`);
  }, [product.id]);
  if (!items || !items.length) return null;
  const claim = async (template) => {
    if (!token()) return requireSignIn();
    try {
      await post(`/merchants/${product.merchant_id}/coupon-centre/${template.id}/claim`);
      toast(t("product.claimed"));
      reload();
    } catch (error) {
      toast(problem(error));
    }
  };
  return html`<div class="cell coupons-cell">
    <span class="cell-label">${t("product.coupons")}</span>
    <div class="coupon-chips">
      ${items.map((c) => html`<button type="button" class="coupon-chip" onClick=${() => claim(c)}>
        ${couponText(c)} · ${t("product.claim")}
      </button>`)}
    </div>
  </div>`;
}

function Activities({ product, sku }) {
  const [found] = useLoad(async () => {
    const merchant = product.merchant_id;
    const result = { groups: [], bargains: [], open: [] };
    if (await hasPlugin(merchant, "groupbuy")) {
      const all = await get(`/merchants/${merchant}/groupbuy/activities?page_size=50`);
      result.groups = all.filter((a) => a.product_id === product.id);
      for (const activity of result.groups) {
        const open = await get(`/merchants/${merchant}/groupbuy/activities/${activity.id}/groups?page_size=3`);
        result.open.push(...open.map((g) => ({ ...g, activity })));
      }
    }
    if (await hasPlugin(merchant, "bargain")) {
      const all = await get(`/merchants/${merchant}/bargain/activities?page_size=50`);
      result.bargains = all.filter((a) => a.product_id === product.id);
    }
    return result;
  }, [product.id]);
  if (!found) return null;
  const openGroup = (activity, params = {}) => {
    if (!token()) return requireSignIn();
    const skuId = sku && activity.prices[String(sku.id)] ? sku.id : Number(Object.keys(activity.prices)[0]);
    const item = { sku_id: skuId, quantity: 1, activity: { type: "groupbuy", id: activity.id, params } };
    sessionStorage.setItem("mallkit.shop.buy", JSON.stringify([item]));
    navigate("/checkout?mode=buy");
  };
  const startBargain = async (activity) => {
    if (!token()) return requireSignIn();
    try {
      const bargain = await post(`/merchants/${product.merchant_id}/bargain/activities/${activity.id}/bargains`, {}, {
        headers: { "Idempotency-Key": idempotencyKey() },
      });
      navigate(`/bargain/${product.merchant_id}/${bargain.id}`);
    } catch (error) {
      toast(problem(error));
    }
  };
  return html`<div class="activities">
    ${found.groups.map((activity) => {
      const prices = Object.values(activity.prices);
      return html`<div class="activity group-activity">
        <div>
          <span class="tag">${t("home.groupbuy")}</span>
          ${t("product.groupbuy", { size: activity.group_size, price: yuan(Math.min(...prices)) })}
        </div>
        <button type="button" class="btn small" onClick=${() => openGroup(activity)}>${t("product.open_group")}</button>
      </div>`;
    })}
    ${found.open.map((group) => html`<div class="activity open-group">
      <span>${group.leader && group.leader.name} · ${t("group.need", { n: group.seats_left })} · <${Countdown} seconds=${group.seconds_left} /></span>
      <button type="button" class="btn small ghost" onClick=${() => openGroup(group.activity, { group_id: group.id })}>
        ${t("product.join_group")}
      </button>
    </div>`)}
    ${found.bargains.map((activity) => html`<div class="activity bargain-activity">
      <div><span class="tag">${t("home.bargain")}</span> ${t("product.bargain", { price: yuan(activity.floor_price) })}</div>
      <button type="button" class="btn small" onClick=${() => startBargain(activity)}>${t("product.start_bargain")}</button>
    </div>`)}
  </div>`;
}

function Reviews({ product }) {
  const summary = product.extensions && product.extensions.reviews;
  const [items] = useLoad(async () => {
    if (!summary || !summary.count) return [];
    return get(`/merchants/${product.merchant_id}/reviews/products/${product.id}?page_size=3`);
  }, [product.id]);
  if (!summary) return null;
  return html`<section class="reviews">
    <h2 class="section-title">${t("product.reviews", { n: summary.count })}
      ${summary.good_rate !== null ? html` <span class="muted small">${t("product.good_rate", { n: summary.good_rate })}</span>` : null}
    </h2>
    ${summary.count === 0 ? html`<p class="muted pad">${t("product.no_reviews")}</p>` : null}
    ${(items || []).map((r) => html`<article class="review">
      <div class="row"><strong>${typeof r.buyer === "string" ? r.buyer : r.buyer && r.buyer.name}</strong><span class="stars">${"★".repeat(r.rating)}${"☆".repeat(5 - r.rating)}</span></div>
      <p>${r.text}</p>
      ${r.sku_name ? html`<p class="muted small">${r.sku_name}</p>` : null}
      ${r.reply ? html`<p class="reply">${t("product.store_reply")}${r.reply}</p>` : null}
    </article>`)}
  </section>`;
}

export function Product({ id }) {
  const [product, error] = useLoad(() => get(`/products/${id}`), [id]);
  const [chosen, setChosen] = useState({});
  const [quantity, setQuantity] = useState(1);
  useEffect(() => {
    if (product) setChosen(firstInStock(product));
  }, [product && product.id]);
  useEffect(() => {
    if (product) track(product.merchant_id, { kind: "product_view", product_id: product.id });
  }, [product && product.id]);
  const sku = product ? matching(product, chosen) : null;
  const personal = usePersonalPrice(sku);
  if (!product) return html`<div class="page"><${Header} title=${t("product.title")} /><${Loading} error=${error} /></div>`;

  const add = async (buyNow) => {
    if (!token()) return requireSignIn();
    if (!sku) return toast(t("product.pick_sku"));
    if (buyNow) {
      sessionStorage.setItem("mallkit.shop.buy", JSON.stringify([{ sku_id: sku.id, quantity }]));
      return navigate("/checkout?mode=buy");
    }
    try {
      await post("/cart/lines", { sku_id: sku.id, quantity });
      track(product.merchant_id, { kind: "add_to_cart", product_id: product.id });
      toast(t("product.added"));
    } catch (error) {
      toast(problem(error));
    }
  };
  const care = product.extensions && product.extensions.faq && product.extensions.faq.care;
  const image = (sku && sku.image_url) || product.images[0];
  return html`<div class="page product">
    <${Header} title=${t("product.title")} />
    <div class="gallery">${image ? html`<img src=${image} alt="" />` : html`<span>${product.name.slice(0, 4)}</span>`}</div>
    <div class="product-head">
      <div class="row">
        <span><${Price} fen=${sku ? sku.price : product.price_min} original=${sku ? sku.original_price : 0} /></span>
        <span class="muted small">${t("sold", { n: product.sales_count })}</span>
      </div>
      ${personal
        ? html`<div class="member-price">${t("product.member_price", { label: personal.price_label, price: yuan(personal.sale_unit_price) })}</div>`
        : null}
      <h2 class="product-name">${product.name}</h2>
      ${product.subtitle ? html`<p class="muted">${product.subtitle}</p>` : null}
    </div>
    <${Activities} product=${product} sku=${sku} />
    <${AdSlot} merchantId=${product.merchant_id} placement="product_detail" />
    <${Promotions} product=${product} />
    <${Coupons} product=${product} />
    ${care ? html`<div class="cell"><span class="cell-label">${t("product.warranty")}</span><span>${care.warranty}</span></div>` : null}
    <div class="panel">
      <${SkuPicker} product=${product} chosen=${chosen} setChosen=${setChosen} />
      <div class="row">
        <span>${t("product.quantity")}</span>
        ${sku ? html`<span class="muted small">${t("product.stock", { n: sku.stock })}</span>` : null}
        <${Stepper} value=${quantity} max=${sku ? Math.max(1, sku.stock) : 1} onChange=${setQuantity} label=${t("product.quantity")} />
      </div>
    </div>
    <${Reviews} product=${product} />
    ${product.description ? html`<section class="description" dangerouslySetInnerHTML=${{ __html: product.description }}></section>` : null}
    <footer class="action-bar">
      <a class="icon-link" href=${`${BASE}/chat/${product.merchant_id}?product=${product.id}`}>${t("product.chat")}</a>
      <a class="icon-link" href=${`${BASE}/cart`}>${t("tab.cart")}</a>
      <button type="button" class="btn alt" disabled=${!sku || sku.stock <= 0} onClick=${() => add(false)}>${t("product.add")}</button>
      <button type="button" class="btn" disabled=${!sku || sku.stock <= 0} onClick=${() => add(true)}>${t("product.buy")}</button>
    </footer>
  </div>`;
}
