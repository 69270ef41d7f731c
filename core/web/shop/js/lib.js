// What every screen shares: the REST client, the signed-in buyer, words in two languages,
// money in yuan, the router and a few small components. The storefront talks to the public
// REST API only (/api/v1, documented at /api/docs); nothing here knows the server's insides.
import { html, useEffect, useState } from "/web/vendor/htm-preact-3.1.1.js";
import { WORDS } from "./words.js";

export { html, useEffect, useState };

const TOKEN = "mallkit.shop.token";
const LANG = "mallkit.shop.lang";
export const BASE = "/shop";

// -- the REST client ---------------------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.code) || "http_error";
    this.errors = (body && body.errors) || {};
  }
}

export function token() {
  return localStorage.getItem(TOKEN);
}

export function setToken(value) {
  if (value) localStorage.setItem(TOKEN, value);
  else localStorage.removeItem(TOKEN);
  emit();
}

/** Call ``/api/v1`` + path; answers the JSON body (``{items, total}`` with ``paged``). */
export async function api(method, path, body, { headers = {}, paged = false } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  const bearer = token();
  if (bearer) init.headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const answer = await fetch(`/api/v1${path}`, init);
  const text = await answer.text();
  const data = text ? JSON.parse(text) : null;
  if (answer.status === 401 && bearer) setToken(null); // revoked or expired: sign in again
  if (!answer.ok) throw new ApiError(answer.status, data);
  if (paged) {
    const pagination = JSON.parse(answer.headers.get("X-Pagination") || "{}");
    // A big catalog's lists count up to a cap and say "capped" (docs/catalog.md).
    return { items: data, total: pagination.total ?? data.length, capped: !!pagination.capped };
  }
  return data;
}

export const get = (path, options) => api("GET", path, undefined, options);
export const post = (path, body = {}, options) => api("POST", path, body, options);

/** A fresh ``Idempotency-Key`` per user action (a retried request reuses its own). */
export function idempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// -- a tiny store: who is signed in, the language, the cart badge --------------------------

const listeners = new Set();
export function emit() {
  for (const fn of listeners) fn();
}

/** Re-render the calling component whenever the shared state changes. */
export function useShared() {
  const [, bump] = useState(0);
  useEffect(() => {
    const fn = () => bump((n) => n + 1);
    listeners.add(fn);
    return () => listeners.delete(fn);
  }, []);
}

// -- words ---------------------------------------------------------------------------------

export function lang() {
  return localStorage.getItem(LANG) || "zh";
}

export function setLang(value) {
  localStorage.setItem(LANG, value);
  document.documentElement.lang = value === "zh" ? "zh-CN" : "en";
  emit();
}

/** The word for ``key`` in the buyer's language, ``{name}`` filled from ``values``. */
export function t(key, values = {}) {
  const entry = WORDS[key];
  let text = entry ? entry[lang()] ?? entry.zh : key;
  for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{${name}}`, value);
  return text;
}

// -- money ---------------------------------------------------------------------------------

/** Fen to "¥12.30" with integers only (no float ever touches a price). */
export function yuan(fen) {
  if (fen === null || fen === undefined) return "";
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  return `${sign}¥${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/** A coupon's (or coupon template's) offer in words: 满¥100.00减¥10.00, 8.5折, 无门槛减¥5.00. */
export function couponText(c) {
  const rules = c.rules || c;
  const over = rules.threshold ? t("coupon.over", { n: yuan(rules.threshold) }) : "";
  if (rules.type === "discount") {
    const rate = rules.rate % 10 ? (rules.rate / 10).toFixed(1) : String(rules.rate / 10);
    return `${over}${t("coupon.rate", { n: rate })}`;
  }
  if (rules.type === "no_threshold") return t("coupon.no_threshold", { n: yuan(rules.amount) });
  return `${over}${t("coupon.off", { n: yuan(rules.amount) })}`;
}

/** "12.30" typed by a buyer to fen, or null when it is not an amount. */
export function fenOf(text) {
  const m = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(text || "");
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0"));
}

/** An instant from the API (ISO, UTC) as the buyer's local "2026-11-27 14:05". */
export function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// -- the router ----------------------------------------------------------------------------

export function currentPath() {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : "/";
  return path || "/";
}

export function query() {
  return new URLSearchParams(location.search);
}

export function navigate(path, { replace = false } = {}) {
  const url = path.startsWith("http") ? path : BASE + path;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  window.scrollTo(0, 0);
  emit();
}

/** Send the buyer to sign in, coming back here afterwards. */
export function requireSignIn() {
  navigate(`/login?next=${encodeURIComponent(currentPath() + location.search)}`, {
    replace: true,
  });
}

// Links inside the app (``<a href="/shop/...">``) change the page without a reload.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href]");
  if (!link || link.target || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const href = link.getAttribute("href");
  if (!href.startsWith(BASE + "/") && href !== BASE) return;
  event.preventDefault();
  navigate(href.slice(BASE.length) || "/");
});
window.addEventListener("popstate", emit);

// -- loading data --------------------------------------------------------------------------

/** ``[data, error, reload]`` of an async loader, re-run when ``deps`` change. */
export function useLoad(loader, deps = []) {
  const [state, setState] = useState({ data: undefined, error: null });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ data: s.data, error: null }));
    loader().then(
      (data) => live && setState({ data, error: null }),
      (error) => {
        if (!live) return;
        if (error instanceof ApiError && error.status === 401) requireSignIn();
        setState({ data: null, error });
      },
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  return [state.data, state.error, () => setRound((n) => n + 1)];
}

/** The stores' profiles (with the plugins each has on), fetched once per store. */
const stores = new Map();
export function store(merchantId) {
  if (!stores.has(merchantId)) {
    const pending = get(`/stores/${merchantId}`).catch((error) => {
      stores.delete(merchantId);
      throw error;
    });
    stores.set(merchantId, pending);
  }
  return stores.get(merchantId);
}

export async function hasPlugin(merchantId, name) {
  try {
    return (await store(merchantId)).plugins.includes(name);
  } catch {
    return false;
  }
}

// -- analytics: what the buyer looked at, when the store counts it -------------------------

/** This browser's opaque id for anonymous analytics and share visits (no personal data). */
export function deviceId() {
  let id = localStorage.getItem("mallkit.shop.device");
  if (!id) {
    id = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
    localStorage.setItem("mallkit.shop.device", id);
  }
  return id;
}

/** Report storefront events (``product_view``, ``search``, ``add_to_cart``, ``ad_impression``
 * ...) to the store's analytics plugin; nothing is sent where it is off, and a failure never
 * bothers the buyer. */
export async function track(merchantId, ...events) {
  if (!(await hasPlugin(merchantId, "analytics"))) return;
  const body = { events };
  if (!token()) body.device_id = deviceId();
  const share = sessionStorage.getItem("mallkit.shop.share");
  if (share) for (const e of events) e.share_code = e.share_code || share;
  post(`/merchants/${merchantId}/analytics/events`, body).catch(() => null);
}

// -- toasts --------------------------------------------------------------------------------

let toastTimer = null;
export const toastState = { text: "" };
export function toast(text) {
  toastState.text = text;
  emit();
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    toastState.text = "";
    emit();
  }, 2500);
}

/** What to tell the buyer about a failed call. */
export function problem(error) {
  if (error instanceof ApiError) {
    const known = WORDS[`error.${error.code}`];
    return known ? t(`error.${error.code}`) : error.message;
  }
  return t("error.network");
}

// -- small components ----------------------------------------------------------------------

export function Header({ title, back = true, right = null }) {
  return html`<header class="bar">
    ${back
      ? html`<button class="bar-back" aria-label=${t("back")} onClick=${() => history.back()}>
          ‹
        </button>`
      : html`<span class="bar-back"></span>`}
    <h1>${title}</h1>
    <span class="bar-right">${right}</span>
  </header>`;
}

export function Loading({ error }) {
  if (error) return html`<p class="empty error" role="alert">${problem(error)}</p>`;
  return html`<p class="empty">${t("loading")}</p>`;
}

export function Empty({ text }) {
  return html`<p class="empty">${text}</p>`;
}

export function Price({ fen, original }) {
  return html`<span class="price">${yuan(fen)}</span>${original && original > fen
    ? html` <s class="original">${yuan(original)}</s>`
    : null}`;
}

export function Stepper({ value, min = 1, max = 9999, onChange, label }) {
  return html`<span class="stepper" aria-label=${label}>
    <button type="button" aria-label="−" disabled=${value <= min} onClick=${() => onChange(value - 1)}>
      −
    </button>
    <span class="stepper-value">${value}</span>
    <button type="button" aria-label="+" disabled=${value >= max} onClick=${() => onChange(value + 1)}>
      +
    </button>
  </span>`;
}

export function ProductCard({ product }) {
  const image = product.image || (product.images && product.images[0]);
  return html`<a class="card product-card" href=${`${BASE}/product/${product.id}`}>
    <div class="thumb">${image ? html`<img src=${image} alt="" loading="lazy" />` : html`<span>${product.name.slice(0, 2)}</span>`}</div>
    <div class="card-body">
      <div class="name">${product.name}</div>
      ${product.subtitle ? html`<div class="muted small">${product.subtitle}</div>` : null}
      <div class="row">
        <${Price} fen=${product.price_min} />
        ${product.sales_count === null ? null : html`<span class="muted small">${t("sold", { n: product.sales_count })}</span>`}
      </div>
    </div>
  </a>`;
}

/** Seconds left as "HH:MM:SS", ticking. */
export function Countdown({ seconds }) {
  const [left, setLeft] = useState(seconds);
  useEffect(() => {
    setLeft(seconds);
    const timer = setInterval(() => setLeft((s) => Math.max(0, s - 1)), 1000);
    return () => clearInterval(timer);
  }, [seconds]);
  const h = Math.floor(left / 3600);
  const m = Math.floor((left % 3600) / 60);
  const s = left % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return html`<span class="countdown">${pad(h)}:${pad(m)}:${pad(s)}</span>`;
}
