// Home, category browsing and search.
import {
  BASE, Empty, Header, Loading, ProductCard, fenOf, get, hasPlugin, html, navigate, query, t,
  token, track, useEffect, useLoad, useState,
} from "./lib.js";

const DEMO_STORE = 1; // the home page features this store's activities (the demo's store)

function SearchBox({ value = "" }) {
  return html`<a class="search-box" href=${`${BASE}/search${value ? `?q=${encodeURIComponent(value)}` : ""}`}>
    <span aria-hidden="true">⌕</span> ${value || t("home.search")}
  </a>`;
}

function Grid({ products }) {
  if (!products || !products.length) return html`<${Empty} text=${t("search.nothing")} />`;
  return html`<div class="grid">${products.map((p) => html`<${ProductCard} key=${p.id} product=${p} />`)}</div>`;
}

/** Where an ad leads inside the shop. */
function adHref(link) {
  if (!link) return null;
  if (link.type === "product") return `${BASE}/product/${link.target}`;
  if (link.type === "category") return `${BASE}/search?category_id=${link.target}`;
  return /^https?:\/\//.test(link.target || "") ? link.target : null;
}

/** A placement of the store's ads plugin (home banner, search top ...); nothing without it.
 * Impressions and clicks go to the analytics collector with the ad's ``track`` fields. */
export function AdSlot({ merchantId, placement }) {
  const [ads] = useLoad(async () => {
    if (!(await hasPlugin(merchantId, "ads"))) return [];
    const found = await get(`/merchants/${merchantId}/ads/${placement}`).catch(() => []);
    if (found.length) track(merchantId, ...found.map((ad) => ({ kind: "ad_impression", ...ad.track })));
    return found;
  }, [merchantId, placement]);
  if (!ads || !ads.length) return null;
  return html`<div class="ads" data-placement=${placement}>
    ${ads.map((ad) => html`<a class="ad" href=${adHref(ad.link) || "#"}
      onClick=${() => track(merchantId, { kind: "ad_click", source: "ad", ...ad.track })}>
      ${ad.image_url
        ? html`<img src=${ad.image_url} alt="" onLoad=${(e) => e.target.parentNode.classList.add("with-image")}
            onError=${(e) => e.target.remove()} />`
        : null}
      <span class="ad-title">${ad.title}</span>
    </a>`)}
  </div>`;
}

/** "猜你喜欢" from the store's analytics plugin (signed-in buyers). */
function Recommended({ merchantId }) {
  const [items] = useLoad(async () => {
    if (!token() || !(await hasPlugin(merchantId, "analytics"))) return [];
    return get(`/merchants/${merchantId}/analytics/recommendations?page_size=6`).catch(() => []);
  }, [merchantId]);
  if (!items || !items.length) return null;
  const products = items.map((r) => ({
    id: r.product_id, name: r.name, price_min: r.price, image: r.image_url, subtitle: "", sales_count: null,
  }));
  return html`<section class="recommended">
    <h2 class="section-title">${t("home.recommended")}</h2>
    <${Grid} products=${products} />
  </section>`;
}

function Shortcuts({ merchantId }) {
  const [plugins] = useLoad(async () => {
    const names = [];
    for (const name of ["groupbuy", "bargain", "coupons"]) {
      if (await hasPlugin(merchantId, name)) names.push(name);
    }
    return names;
  }, [merchantId]);
  if (!plugins || !plugins.length) return null;
  const links = { groupbuy: "/groupbuy", bargain: "/bargain", coupons: "/coupons" };
  const icons = { groupbuy: "团", bargain: "砍", coupons: "券" };
  return html`<nav class="shortcuts">
    ${plugins.map((name) => html`<a href=${`${BASE}${links[name]}?store=${merchantId}`}>
      <span class="icon">${icons[name]}</span>${t(`home.${name}`)}
    </a>`)}
  </nav>`;
}

export function Home() {
  const [hot, hotError] = useLoad(() => get("/products?tag=热门&page_size=6&sort=sales"));
  const [all, allError] = useLoad(() => get("/products?page_size=20"));
  return html`<div class="page home">
    <div class="home-top">
      <div class="brand">${t("app.title")}</div>
      <${SearchBox} />
    </div>
    <${AdSlot} merchantId=${DEMO_STORE} placement="home_banner" />
    <${Shortcuts} merchantId=${DEMO_STORE} />
    <${Recommended} merchantId=${DEMO_STORE} />
    ${hot && hot.length
      ? html`<section><h2 class="section-title">${t("home.hot")}</h2><${Grid} products=${hot} /></section>`
      : null}
    <section>
      <h2 class="section-title">${t("home.all")}</h2>
      ${all ? html`<${Grid} products=${all} />` : html`<${Loading} error=${allError || hotError} />`}
    </section>
  </div>`;
}

function CategoryTree({ nodes, depth = 0 }) {
  return html`<ul class=${depth ? "sub" : "categories"}>
    ${nodes.map((node) => html`<li>
      <a href=${`${BASE}/search?category_id=${node.id}&title=${encodeURIComponent(node.name)}`}>${node.name}</a>
      ${node.children && node.children.length ? html`<${CategoryTree} nodes=${node.children} depth=${depth + 1} />` : null}
    </li>`)}
  </ul>`;
}

export function Categories() {
  const [tree, error] = useLoad(() => get("/categories"));
  return html`<div class="page">
    <${Header} title=${t("category.title")} back=${false} />
    <div class="pad"><${SearchBox} /></div>
    ${tree === undefined || error
      ? html`<${Loading} error=${error} />`
      : tree.length
        ? html`<${CategoryTree} nodes=${tree} />`
        : html`<${Empty} text=${t("category.empty")} />`}
  </div>`;
}

const SORTS = ["relevance", "sales", "price_asc", "price_desc", "newest"];

export function Search() {
  const params = query();
  const [text, setText] = useState(params.get("q") || "");
  const [suggestions, setSuggestions] = useState([]);
  const [filters, setFilters] = useState({
    q: params.get("q") || "",
    sort: params.get("sort") || (params.get("q") ? "relevance" : "newest"),
    in_stock: params.get("in_stock") === "true",
    price_min: params.get("price_min") || "",
    price_max: params.get("price_max") || "",
    category_id: params.get("category_id") || "",
  });
  const [showFilters, setShowFilters] = useState(false);

  useEffect(() => {
    if (!text.trim() || text === filters.q) {
      setSuggestions([]);
      return;
    }
    const timer = setTimeout(() => {
      get(`/products/suggest?q=${encodeURIComponent(text.trim())}`).then(
        (answer) => setSuggestions(answer.suggestions || []),
        () => setSuggestions([]),
      );
    }, 150);
    return () => clearTimeout(timer);
  }, [text]);

  const search = new URLSearchParams({ page_size: "40" });
  if (filters.q) search.set("q", filters.q);
  if (filters.sort && (filters.sort !== "relevance" || filters.q)) search.set("sort", filters.sort);
  if (filters.in_stock) search.set("in_stock", "true");
  const min = fenOf(filters.price_min);
  const max = fenOf(filters.price_max);
  if (min !== null) search.set("price_min", String(min));
  if (max !== null) search.set("price_max", String(max));
  if (filters.category_id) search.set("category_id", filters.category_id);
  const [results, error] = useLoad(() => get(`/products?${search}`, { paged: true }), [search.toString()]);

  const go = (q) => {
    if (q) track(DEMO_STORE, { kind: "search", query: q.slice(0, 100) });
    setText(q);
    setSuggestions([]);
    setFilters({ ...filters, q, sort: q ? "relevance" : filters.sort });
    const url = new URLSearchParams(location.search);
    url.set("q", q);
    navigate(`/search?${url}`, { replace: true });
  };

  return html`<div class="page search">
    <${Header} title=${params.get("title") || t("search.go")} />
    <form class="search-form" role="search" onSubmit=${(e) => { e.preventDefault(); go(text.trim()); }}>
      <input type="search" name="q" value=${text} placeholder=${t("search.placeholder")}
        autocomplete="off" onInput=${(e) => setText(e.target.value)} />
      <button type="submit">${t("search.go")}</button>
    </form>
    ${suggestions.length
      ? html`<ul class="suggestions" role="listbox">
          ${suggestions.map((s) => html`<li role="option" onClick=${() => go(s)}>${s}</li>`)}
        </ul>`
      : null}
    ${filters.q ? html`<${AdSlot} merchantId=${DEMO_STORE} placement="search_top" />` : null}
    <div class="sorts">
      ${SORTS.filter((s) => s !== "relevance" || filters.q).map((s) => html`<button type="button"
        class=${filters.sort === s ? "on" : ""} onClick=${() => setFilters({ ...filters, sort: s })}>
        ${t(`search.sort.${s}`)}</button>`)}
      <button type="button" class="filter-toggle" onClick=${() => setShowFilters(!showFilters)}>⚲</button>
    </div>
    ${showFilters
      ? html`<div class="filters">
          <label><input type="checkbox" checked=${filters.in_stock}
            onChange=${(e) => setFilters({ ...filters, in_stock: e.target.checked })} /> ${t("search.in_stock")}</label>
          <input inputmode="decimal" placeholder=${t("search.price_min")} value=${filters.price_min}
            onChange=${(e) => setFilters({ ...filters, price_min: e.target.value })} />
          <span>–</span>
          <input inputmode="decimal" placeholder=${t("search.price_max")} value=${filters.price_max}
            onChange=${(e) => setFilters({ ...filters, price_max: e.target.value })} />
        </div>`
      : null}
    ${results
      ? html`<p class="muted small pad">${t("search.results", { n: results.capped ? `${results.total}+` : results.total })}</p><${Grid} products=${results.items} />`
      : html`<${Loading} error=${error} />`}
  </div>`;
}
