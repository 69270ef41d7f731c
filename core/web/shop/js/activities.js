// Share links, group buy (拼团), bargain (砍价) and the coupon centre.
import {
  BASE, Countdown, Empty, Header, Loading, Price, couponText, deviceId, get, html, navigate, post, problem,
  query, requireSignIn, t, toast, token, useLoad, useState, yuan,
} from "./lib.js";

const SHARE = "mallkit.shop.share"; // the share link that brought this visitor (attribution)


/** ``/shop/s/<code>``: where every share link lands. Count the visit, remember the code for
 * sign-up and checkout attribution, and open what it points at. */
export function ShareLanding({ code }) {
  const [, error] = useLoad(async () => {
    const share = await get(`/shares/${encodeURIComponent(code)}`);
    sessionStorage.setItem(SHARE, code);
    post(`/shares/${encodeURIComponent(code)}/visits`, token() ? {} : { device_id: deviceId() }).catch(() => null);
    const where = {
      group: `/group/${share.merchant_id}/${share.target_id}?share=${code}`,
      bargain: `/bargain/${share.merchant_id}/${share.target_id}?share=${code}`,
      product: `/product/${share.target_id}`,
    }[share.kind];
    navigate(where || "/", { replace: true });
    return share;
  }, [code]);
  return html`<div class="page"><${Header} title=${t("app.title")} back=${false} /><${Loading} error=${error} /></div>`;
}

/** Copy a link; a page served over plain http may not have the clipboard API. */
async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast(t("group.copied"));
  } catch {
    toast(text);
  }
}

function ShareBox({ url }) {
  if (!url) return null;
  return html`<div class="share-box">
    <div class="muted small">${t("group.link")}</div>
    <input class="share-url" readonly value=${url} onFocus=${(e) => e.target.select()} />
    <button type="button" class="btn small" onClick=${() => copy(url)}>${t("group.copy")}</button>
  </div>`;
}

function buyActivity(item) {
  sessionStorage.setItem("mallkit.shop.buy", JSON.stringify([item]));
  navigate("/checkout?mode=buy");
}

// -- group buy -----------------------------------------------------------------------------

export function GroupPage({ merchantId, id }) {
  const share = query().get("share");
  const [data, error, reload] = useLoad(async () => {
    const group = await get(`/merchants/${merchantId}/groupbuy/groups/${id}`);
    const activity = await get(`/merchants/${merchantId}/groupbuy/activities/${group.activity_id}`).catch(() => null);
    const product = activity ? await get(`/products/${activity.product_id}`).catch(() => null) : null;
    let mine = null; // my share link, when I am in the group
    if (token()) {
      mine = await post(`/merchants/${merchantId}/groupbuy/groups/${id}/share`).catch(() => null);
    }
    return { group, activity, product, mine };
  }, [merchantId, id]);
  const [shown, setShown] = useState(false);
  if (!data) return html`<div class="page"><${Header} title=${t("group.title")} /><${Loading} error=${error} /></div>`;
  const { group, activity, product, mine } = data;
  const join = () => {
    if (!token()) return requireSignIn();
    const skuId = Number(Object.keys(activity.prices)[0]);
    buyActivity({
      sku_id: skuId,
      quantity: 1,
      activity: { type: "groupbuy", id: activity.id, params: share ? { share } : { group_id: group.id } },
    });
  };
  const price = Math.min(...Object.values(group.price || {})); // SKU id → group price
  const seats = Array.from({ length: group.size }, (_, i) => group.members[i] || null);
  return html`<div class="page group-page" data-status=${group.status}>
    <${Header} title=${t("group.title")} />
    <section class="card group-product">
      ${product ? html`<a class="row" href=${`${BASE}/product/${product.id}`}>
        <span class="thumb small">${product.images[0] ? html`<img src=${product.images[0]} alt="" />` : product.name.slice(0, 2)}</span>
        <span class="line-body"><span class="name">${product.name}</span>
          <span class="row"><span><span class="tag">${t("product.groupbuy", { size: group.size, price: "" })}</span> <${Price} fen=${price} /></span></span></span>
      </a>` : html`<div>${group.title} <${Price} fen=${price} /></div>`}
    </section>
    <section class="card center">
      <h2 class="group-state">
        ${group.status === "succeeded"
          ? t("group.succeeded")
          : group.status === "failed"
            ? t("group.failed")
            : t("group.need", { n: group.seats_left })}
      </h2>
      ${group.status === "open" ? html`<p class="muted">${t("group.ends_in")} <${Countdown} seconds=${group.seconds_left} /></p>` : null}
      <div class="seats">
        ${seats.map((m) => html`<span class=${`seat ${m ? "taken" : ""}`}>
          ${m ? (m.name || "?").slice(0, 1) : "?"}${m && m.is_leader ? html`<small>${t("group.leader")}</small>` : null}
        </span>`)}
      </div>
      <div class="progress"><span style=${`width:${Math.round((100 * group.paid) / group.size)}%`}></span></div>
      ${mine
        ? html`<p class="muted small">${t("group.member")}</p>
            ${group.status === "open" ? html`<button type="button" class="btn wide" onClick=${() => setShown(true)}>${t("group.invite")}</button>` : null}
            ${shown ? html`<${ShareBox} url=${mine.url} />` : null}`
        : group.status === "open" && group.seats_left > 0 && activity
          ? html`<button type="button" class="btn wide" onClick=${join}>${t("group.join")} ${yuan(price)}</button>`
          : null}
      <button type="button" class="link center" onClick=${reload}>↻</button>
    </section>
  </div>`;
}

export function GroupBuys() {
  const store = query().get("store") || "1";
  const [activities, error] = useLoad(() => get(`/merchants/${store}/groupbuy/activities?page_size=50`));
  return html`<div class="page">
    <${Header} title=${t("home.groupbuy")} />
    ${!activities
      ? html`<${Loading} error=${error} />`
      : !activities.length
        ? html`<${Empty} text=${t("search.nothing")} />`
        : activities.map((a) => html`<a class="card activity-card" href=${`${BASE}/product/${a.product_id}`}>
            <div class="name">${a.title}</div>
            <div class="row"><span class="tag">${t("product.groupbuy", { size: a.group_size, price: "" })}</span>
              <${Price} fen=${Math.min(...Object.values(a.prices))} /></div>
          </a>`)}
  </div>`;
}

// -- bargain -------------------------------------------------------------------------------

export function BargainPage({ merchantId, id }) {
  const share = query().get("share");
  const [data, error, reload] = useLoad(async () => {
    const bargain = await get(`/merchants/${merchantId}/bargain/bargains/${id}`);
    const activity = await get(`/merchants/${merchantId}/bargain/activities/${bargain.activity_id}`).catch(() => null);
    let mine = false;
    if (token()) {
      const own = await get(`/merchants/${merchantId}/bargain/me/bargains?page_size=100`).catch(() => []);
      mine = own.some((b) => b.id === bargain.id);
    }
    return { bargain, activity, mine };
  }, [merchantId, id]);
  const [link, setLink] = useState(null);
  if (!data) return html`<div class="page"><${Header} title=${t("bargain.title")} /><${Loading} error=${error} /></div>`;
  const { bargain, activity, mine } = data;
  const atFloor = bargain.current_price === bargain.floor_price;
  const mayBuy = mine && bargain.status === "active" && (atFloor || (activity && !activity.floor_only));
  const cut = bargain.start_price - bargain.current_price;
  const total = bargain.start_price - bargain.floor_price;
  const help = async () => {
    if (!token()) return requireSignIn();
    try {
      const row = await post(`/merchants/${merchantId}/bargain/bargains/${id}/helps`, share ? { share } : {});
      toast(t("bargain.helped", { n: yuan(row.amount) }));
      reload();
    } catch (e) {
      toast(problem(e));
    }
  };
  const shareIt = async () => {
    try {
      setLink((await post(`/merchants/${merchantId}/bargain/bargains/${id}/share`)).url);
    } catch (e) {
      toast(problem(e));
    }
  };
  const buy = () =>
    buyActivity({
      sku_id: bargain.sku_id,
      quantity: 1,
      activity: { type: "bargain", id: bargain.activity_id, params: { bargain_id: bargain.id } },
    });
  return html`<div class="page bargain-page" data-status=${bargain.status}>
    <${Header} title=${t("bargain.title")} />
    <section class="card center">
      <div class="muted">${activity ? activity.title : ""}</div>
      <div class="bargain-prices">
        <div><div class="muted small">${t("bargain.current")}</div><div class="big"><${Price} fen=${bargain.current_price} /></div></div>
        <div><div class="muted small">${t("bargain.floor")}</div><div>${yuan(bargain.floor_price)}</div></div>
      </div>
      <div class="progress"><span style=${`width:${total ? Math.round((100 * cut) / total) : 100}%`}></span></div>
      <p class="muted small">${atFloor ? t("bargain.at_floor") : t("bargain.helpers", { n: bargain.helps })}
        ${bargain.status === "active" ? html` · <${Countdown} seconds=${bargain.seconds_left} />` : null}</p>
      ${mayBuy ? html`<button type="button" class="btn wide" onClick=${buy}>${t("bargain.buy")} ${yuan(bargain.current_price)}</button>` : null}
      ${mine && bargain.status === "active" && !atFloor
        ? html`<button type="button" class="btn alt wide" onClick=${shareIt}>${t("bargain.share")}</button>`
        : null}
      ${!mine && bargain.status === "active" && !atFloor
        ? html`<button type="button" class="btn wide" onClick=${help}>${t("bargain.help")}</button>`
        : null}
      <${ShareBox} url=${link} />
    </section>
    <section class="card">
      ${bargain.helpers.map((h) => html`<div class="row help-row"><span>${t("bargain.cut_by", { name: h.helper, n: "" })}</span><span class="price">${yuan(h.amount)}</span></div>`)}
    </section>
  </div>`;
}

export function Bargains() {
  const store = query().get("store") || "1";
  const [data, error] = useLoad(async () => {
    const activities = await get(`/merchants/${store}/bargain/activities?page_size=50`);
    const mine = token() ? await get(`/merchants/${store}/bargain/me/bargains?page_size=50`).catch(() => []) : [];
    return { activities, mine };
  });
  if (!data) return html`<div class="page"><${Header} title=${t("home.bargain")} /><${Loading} error=${error} /></div>`;
  return html`<div class="page">
    <${Header} title=${t("home.bargain")} />
    ${data.mine.map((b) => html`<a class="card" href=${`${BASE}/bargain/${store}/${b.id}`} data-bargain=${b.id}>
      <div class="row"><span>${t("bargain.current")} <${Price} fen=${b.current_price} /></span><span class="muted small">${t("bargain.floor")} ${yuan(b.floor_price)}</span></div>
    </a>`)}
    ${data.activities.map((a) => html`<a class="card activity-card" href=${`${BASE}/product/${a.product_id}`}>
      <div class="name">${a.title}</div>
      <div class="row"><span class="tag">${t("product.bargain", { price: "" })}</span><${Price} fen=${a.floor_price} original=${a.start_price} /></div>
    </a>`)}
    ${!data.activities.length && !data.mine.length ? html`<${Empty} text=${t("search.nothing")} />` : null}
  </div>`;
}

// -- coupons -------------------------------------------------------------------------------

export function CouponCentre() {
  const store = query().get("store") || "1";
  const [data, error, reload] = useLoad(async () => {
    const offered = await get(`/merchants/${store}/coupon-centre`);
    const mine = token() ? await get("/me/coupons?page_size=100").catch(() => []) : [];
    return { offered, mine: mine.filter((c) => c.merchant_id === Number(store)) };
  });
  if (!data) return html`<div class="page"><${Header} title=${t("home.coupons")} /><${Loading} error=${error} /></div>`;
  const claim = async (template) => {
    if (!token()) return requireSignIn();
    try {
      await post(`/merchants/${store}/coupon-centre/${template.id}/claim`);
      toast(t("product.claimed"));
      reload();
    } catch (e) {
      toast(problem(e));
    }
  };
  return html`<div class="page coupons-page">
    <${Header} title=${t("home.coupons")} />
    ${data.offered.map((c) => html`<section class="card coupon-card">
      <div><div class="coupon-value">${couponText(c)}</div><div class="muted small">${c.name}</div></div>
      <button type="button" class="btn small" onClick=${() => claim(c)}>${t("product.claim")}</button>
    </section>`)}
    ${data.mine.length ? html`<h2 class="section-title">${t("me.coupons")}</h2>` : null}
    ${data.mine.map((c) => html`<section class=${`card coupon-card ${c.status}`}>
      <div><div class="coupon-value">${couponText(c)}</div><div class="muted small">${c.ends_at ? c.ends_at.slice(0, 10) : ""}</div></div>
      <span class="muted small">${t(`coupon.status.${c.status}`)}</span>
    </section>`)}
    ${!data.offered.length && !data.mine.length ? html`<${Empty} text=${t("search.nothing")} />` : null}
  </div>`;
}

export const ROUTES = [
  [/^\/s\/(?<code>[A-Za-z0-9_-]+)$/, ShareLanding, false],
  [/^\/group\/(?<merchantId>\d+)\/(?<id>\d+)$/, GroupPage, false],
  [/^\/groupbuy$/, GroupBuys, false],
  [/^\/bargain\/(?<merchantId>\d+)\/(?<id>\d+)$/, BargainPage, false],
  [/^\/bargain$/, Bargains, false],
  [/^\/coupons$/, CouponCentre, false],
];
