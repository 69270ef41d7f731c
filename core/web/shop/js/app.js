// The storefront's entry: the routes, the tab bar and the toast. Each screen lives in its
// own module and talks to the public REST API only.
import { Addresses, Checkout, PayOrder, PayResult } from "./checkout.js";
import { Cart } from "./cart.js";
import { Categories, Home, Search } from "./home.js";
import { BASE, currentPath, html, lang, setLang, t, toastState, useShared } from "./lib.js";
import { Login, Me, Register, WeChatReturn } from "./account.js";
import { ROUTES as ACTIVITY_ROUTES } from "./activities.js";
import { ROUTES as CENTRE_ROUTES } from "./centres.js";
import { AfterSale, AfterSales, OrderDetail, Orders, Review } from "./orders.js";
import { Product } from "./product.js";
import { render } from "/web/vendor/htm-preact-3.1.1.js";

// [pattern, screen, shows the tab bar]
const ROUTES = [
  [/^\/$/, Home, true],
  [/^\/categories$/, Categories, true],
  [/^\/search$/, Search, false],
  [/^\/product\/(?<id>\d+)$/, Product, false],
  [/^\/cart$/, Cart, true],
  [/^\/checkout$/, Checkout, false],
  [/^\/pay\/result$/, PayResult, false],
  [/^\/pay\/(?<id>\d+)$/, PayOrder, false],
  [/^\/orders$/, Orders, false],
  [/^\/orders\/(?<id>\d+)$/, OrderDetail, false],
  [/^\/aftersale\/(?<orderId>\d+)\/(?<lineId>\d+)$/, AfterSale, false],
  [/^\/aftersales$/, AfterSales, false],
  [/^\/review\/(?<orderId>\d+)\/(?<lineId>\d+)$/, Review, false],
  [/^\/addresses$/, Addresses, false],
  [/^\/login$/, Login, false],
  [/^\/register$/, Register, false],
  [/^\/wechat$/, WeChatReturn, false],
  [/^\/me$/, Me, true],
  ...ACTIVITY_ROUTES,
  ...CENTRE_ROUTES,
];

// Tab icons are inline SVG paths (no icon font, nothing from another origin).
const ICONS = {
  home: "M3 11 12 3l9 8v10h-6v-6H9v6H3z",
  category: "M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4zM13 13h7v7h-7z",
  cart: "M3 4h3l2.4 11h10.2L21 7H7.2M9 20a1.5 1.5 0 1 0 0-.1M18 20a1.5 1.5 0 1 0 0-.1",
  me: "M12 12a4.5 4.5 0 1 0 0-9 4.5 4.5 0 0 0 0 9zM3.5 21c1-4.5 4.4-6.5 8.5-6.5s7.5 2 8.5 6.5",
};

const TABS = [
  ["/", "tab.home", "home"],
  ["/categories", "tab.category", "category"],
  ["/cart", "tab.cart", "cart"],
  ["/me", "tab.me", "me"],
];

function TabBar({ path }) {
  return html`<nav class="tab-bar" aria-label="tabs">
    ${TABS.map(([href, word, icon]) => html`<a href=${BASE + href} class=${path === href ? "on" : ""}>
      <svg class="tab-icon" viewBox="0 0 24 24" aria-hidden="true"><path d=${ICONS[icon]} /></svg>${t(word)}</a>`)}
  </nav>`;
}

function NotFound() {
  return html`<div class="page"><p class="empty">404</p><p class="center"><a href=${`${BASE}/`}>${t("pay.home")}</a></p></div>`;
}

function App() {
  useShared();
  const path = currentPath();
  let screen = html`<${NotFound} />`;
  let tabs = false;
  for (const [pattern, Screen, withTabs] of ROUTES) {
    const match = pattern.exec(path);
    if (match) {
      screen = html`<${Screen} key=${path} ...${match.groups || {}} />`;
      tabs = withTabs;
      break;
    }
  }
  document.title = t("app.title");
  return html`<div class=${`shell ${tabs ? "with-tabs" : ""}`}>
    <main>${screen}</main>
    ${tabs ? html`<${TabBar} path=${path} />` : null}
    ${toastState.text ? html`<div class="toast" role="status">${toastState.text}</div>` : null}
  </div>`;
}

setLang(lang());
const root = document.getElementById("app");
root.textContent = ""; // the "loading" placeholder of index.html
render(html`<${App} />`, root);
