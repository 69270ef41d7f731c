// The console's shell: sign-in, the layout (menu by role, the store's plugin pages), routing.
import { render } from "/web/vendor/htm-preact-3.1.1.js";
import {
  html, useState, useEffect, api, get, prefetch, session, t, LANG, setLang, go, Link, Toasts, Loading, Failure, ApiError,
} from "/console/lib.js";

// Core pages: [path, module, export, text key, group, roles]. Roles: who sees the entry
// (the API checks again: an agent calling an owner-only route gets 403).
const ALL = ["owner", "manager", "agent", "admin"];
const WRITERS = ["owner", "manager", "admin"];
const OWNER = ["owner", "admin"];
export const MERCHANT_PAGES = [
  ["dashboard", "dashboard", "Dashboard", "nav.dashboard", "store", ALL],
  ["orders", "orders", "Orders", "nav.orders", "orders", ALL],
  ["products", "catalog", "Products", "nav.products", "catalog", ALL],
  ["categories", "catalog", "Categories", "nav.categories", "catalog", WRITERS],
  ["brands", "catalog", "Brands", "nav.brands", "catalog", WRITERS],
  ["import", "catalog", "Import", "nav.import", "catalog", WRITERS],
  ["stock", "stock", "Stock", "nav.stock", "catalog", ALL],
  ["plugins", "settings", "Plugins", "nav.plugins", "settings", OWNER],
  ["staff", "settings", "Staff", "nav.staff", "settings", OWNER],
  ["settings", "settings", "StoreSettings", "nav.settings", "settings", WRITERS],
  ["audit", "settings", "Audit", "nav.audit", "settings", OWNER],
];
const PLATFORM_PAGES = [
  ["merchants", "platform", "Merchants", "nav.merchants", "platform"],
  ["tasks", "platform", "Tasks", "nav.tasks", "platform"],
  ["audit", "platform", "PlatformAudit", "nav.audit", "platform"],
];
const GROUP_ORDER = ["store", "orders", "catalog", "marketing", "customers", "service", "finance", "analytics", "content", "plugins", "platform", "settings"];

const modules = {};
function load(name) {
  modules[name] = modules[name] || import(`/console/pages/${name}.js`);
  return modules[name];
}

// -- sign-in ---------------------------------------------------------------------------------
function SignIn({ onSignedIn }) {
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true); setError("");
    try {
      const answer = await api("POST", "/auth/login", { login, password }, { noRedirect: true });
      session.token = answer.token;
      onSignedIn();
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? t("login.failed") : err.message);
    } finally { setBusy(false); }
  };
  return html`<main class="signin">
    <form class="card signin-card" onSubmit=${submit}>
      <h1>${t("app.name")}</h1>
      <h2>${t("login.title")}</h2>
      <div class="field"><label for="login">${t("login.login")}</label>
        <input id="login" name="login" autocomplete="username" value=${login} onInput=${(e) => setLogin(e.target.value)} required /></div>
      <div class="field"><label for="password">${t("login.password")}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" value=${password} onInput=${(e) => setPassword(e.target.value)} required /></div>
      ${error ? html`<div class="alert error" role="alert">${error}</div>` : null}
      <button class="btn primary block" type="submit" disabled=${busy}>${t("login.submit")}</button>
      <button type="button" class="link lang" onClick=${() => setLang(LANG === "zh" ? "en" : "zh")}>${t("app.lang")}</button>
    </form>
  </main>`;
}

// -- routing ---------------------------------------------------------------------------------
function usePath() {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const on = () => setPath(location.pathname);
    window.addEventListener("popstate", on);
    return () => window.removeEventListener("popstate", on);
  }, []);
  return path;
}

/** ``/console/m/1/orders/5`` → {scope: "m", merchantId: 1, page: "orders", rest: ["5"]}. */
function parse(path) {
  const parts = path.replace(/^\/console\/?/, "").split("/").filter(Boolean);
  if (parts[0] === "m" && parts[1]) return { scope: "m", merchantId: Number(parts[1]), page: parts[2] || "dashboard", rest: parts.slice(3) };
  if (parts[0] === "platform") return { scope: "platform", page: parts[1] || "merchants", rest: parts.slice(2) };
  return { scope: "", page: "", rest: [] };
}

function PageHost({ moduleName, exportName, props }) {
  const [Component, setComponent] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let live = true;
    setComponent(null);
    load(moduleName).then((m) => live && setComponent(() => m[exportName]), (e) => live && setError(e));
    return () => { live = false; };
  }, [moduleName, exportName]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!Component) return html`<${Loading} />`;
  return html`<${Component} ...${props} />`;
}

function Menu({ sections, current, onNavigate }) {
  return html`<nav class="menu" aria-label="menu">
    ${sections.map(([group, items]) => html`<div class="menu-group" key=${group}>
      <div class="menu-title">${t(`group.${group}`)}</div>
      ${items.map((item) => html`<${Link} key=${item.href} href=${item.href} class=${current === item.href || current.startsWith(item.href + "/") ? "active" : ""} onClick=${onNavigate} data-page=${item.id}>${item.label}</${Link}>`)}
    </div>`)}
  </nav>`;
}

function group(items) {
  const map = new Map();
  for (const item of items) {
    if (!map.has(item.group)) map.set(item.group, []);
    map.get(item.group).push(item);
  }
  return [...map.entries()].sort((a, b) => GROUP_ORDER.indexOf(a[0]) - GROUP_ORDER.indexOf(b[0]));
}

function Shell({ me, onSignOut }) {
  const path = usePath();
  const route = parse(path);
  const [consoleInfo, setConsoleInfo] = useState(null);
  const [menuOpen, setMenuOpen] = useState(false);
  const memberships = me.memberships || [];

  // where to go when the URL names nothing
  useEffect(() => {
    if (route.scope) return;
    if (memberships.length) go(`/console/m/${memberships[0].merchant_id}/dashboard`);
    else if (me.is_platform_admin) go("/console/platform/merchants");
  }, [path]);

  useEffect(() => {
    setConsoleInfo(null);
    if (route.scope === "m") get(`/merchants/${route.merchantId}/console`).then(setConsoleInfo, (error) => setConsoleInfo({ error }));
    else if (route.scope === "platform") get("/admin/console").then(setConsoleInfo, (error) => setConsoleInfo({ error }));
  }, [route.scope, route.merchantId]);

  if (!route.scope) {
    return memberships.length || me.is_platform_admin ? html`<${Loading} />` : html`<main class="signin"><div class="card signin-card"><p>${t("login.nostaff")}</p><button class="btn" onClick=${onSignOut}>${t("nav.signout")}</button></div></main>`;
  }
  if (!consoleInfo) return html`<${Loading} />`;

  const role = consoleInfo.role;
  const pages = consoleInfo.pages || [];
  const base = route.scope === "m" ? `/console/m/${route.merchantId}` : "/console/platform";
  const items = [];
  if (route.scope === "m") {
    for (const [key, , , text, grp, roles] of MERCHANT_PAGES) if (roles.includes(role)) items.push({ id: key, href: `${base}/${key}`, label: t(text), group: grp });
  } else {
    for (const [key, , , text, grp] of PLATFORM_PAGES) items.push({ id: key, href: `${base}/${key}`, label: t(text), group: grp });
  }
  for (const p of pages) items.push({ id: p.id, href: `${base}/p/${p.id}`, label: t(p.title), group: p.group });

  let body;
  const merchantId = route.merchantId;
  const common = { merchantId, role, me, rest: route.rest, base };
  if (consoleInfo.error) body = html`<${Failure} error=${consoleInfo.error} />`;
  else if (route.page === "p") {
    const page = pages.find((p) => p.id === `${route.rest[0]}/${route.rest[1]}`);
    body = page
      ? html`<${PageHost} moduleName="plugin-page" exportName="PluginPage" props=${{ ...common, page }} key=${page.id} />`
      : html`<${Failure} error=${{ status: 404 }} />`;
  } else {
    const table = route.scope === "m" ? MERCHANT_PAGES : PLATFORM_PAGES;
    const entry = table.find((row) => row[0] === route.page);
    const allowed = entry && (route.scope !== "m" || entry[5].includes(role));
    body = allowed
      ? html`<${PageHost} moduleName=${entry[1]} exportName=${entry[2]} props=${common} key=${path} />`
      : html`<${Failure} error=${{ status: 403 }} />`;
  }

  const current = memberships.find((m) => m.merchant_id === merchantId);
  const switchTo = (e) => go(e.target.value);
  return html`<div class=${`shell ${menuOpen ? "menu-open" : ""}`}>
    <header class="topbar">
      <button class="icon menu-toggle" aria-label="menu" onClick=${() => setMenuOpen(!menuOpen)}>☰</button>
      <div class="brand">${t("app.name")}</div>
      <select class="scope" aria-label=${t("nav.store")} value=${route.scope === "m" ? `/console/m/${merchantId}/dashboard` : "/console/platform/merchants"} onChange=${switchTo}>
        ${memberships.map((m) => html`<option value=${`/console/m/${m.merchant_id}/dashboard`}>${m.merchant_name}</option>`)}
        ${route.scope === "m" && !current ? html`<option value=${`/console/m/${merchantId}/dashboard`}>#${merchantId}</option>` : null}
        ${me.is_platform_admin ? html`<option value="/console/platform/merchants">${t("app.platform")}</option>` : null}
      </select>
      <span class="who">${me.name || me.email || me.phone} · <span class="role" data-role=${role}>${t(`status.${role}`) === `status.${role}` ? role : t(`status.${role}`)}</span></span>
      <button class="link" onClick=${() => setLang(LANG === "zh" ? "en" : "zh")}>${t("app.lang")}</button>
      <button class="link" onClick=${onSignOut}>${t("nav.signout")}</button>
    </header>
    <aside class="side"><${Menu} sections=${group(items)} current=${path} onNavigate=${() => setMenuOpen(false)} /></aside>
    <main class="content" id="main">${body}</main>
    <${Toasts} />
  </div>`;
}

function App() {
  const [me, setMe] = useState(undefined);
  const refresh = () => {
    if (!session.token) { setMe(null); return; }
    get("/me").then(setMe, () => { session.token = null; setMe(null); });
  };
  useEffect(() => {
    refresh();
    const out = () => setMe(null);
    window.addEventListener("console:signed-out", out);
    return () => window.removeEventListener("console:signed-out", out);
  }, []);
  const signOut = async () => {
    try { await api("POST", "/auth/logout"); } catch { /* signed out either way */ }
    session.token = null;
    setMe(null);
    history.replaceState(null, "", "/console/");
  };
  if (me === undefined) return html`<${Loading} />`;
  if (me === null) return html`<${SignIn} onSignedIn=${refresh} />`;
  return html`<${Shell} me=${me} onSignOut=${signOut} />`;
}

// Start what the first screen needs at once, in parallel: who is signed in, the store's
// plugin pages and the page's module (the orders page also starts its first list).
(() => {
  const route = parse(location.pathname);
  prefetch("/me");
  if (route.scope === "m") prefetch(`/merchants/${route.merchantId}/console`);
  if (route.scope === "platform") prefetch("/admin/console");
  const table = route.scope === "m" ? MERCHANT_PAGES : PLATFORM_PAGES;
  const entry = table.find((row) => row[0] === route.page);
  if (entry) load(entry[1]);
  if (route.scope === "m" && route.page === "orders" && !route.rest.length && !location.search) {
    prefetch(`/merchants/${route.merchantId}/orders?page=1&page_size=20`, { page: true });
  }
})();

render(html`<${App} />`, document.getElementById("app"));
