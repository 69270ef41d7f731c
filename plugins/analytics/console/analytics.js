// The analytics plugin's console pages (register_console_pages, component "analytics.js"):
// the store dashboard, the reports A1–A5 and the platform's reports, chosen by the page's key.
// Every figure comes from the plugin's REST API with the signed-in person's token. Charts are
// the plugin's own server-drawn SVG (pygal; .../charts/<name>.svg in the console's language),
// fetched with the token and shown as a data: image — no script, nothing from a CDN.

// -- words (the console's t() takes {zh, en}) -------------------------------------------------
const W = {
  start: { zh: "开始日期", en: "From" },
  end: { zh: "结束日期", en: "To" },
  period: { zh: "周期", en: "By" },
  "period.day": { zh: "按日", en: "Day" },
  "period.week": { zh: "按周", en: "Week" },
  "period.month": { zh: "按月", en: "Month" },
  limit: { zh: "榜单数量", en: "List length" },
  store: { zh: "商家 ID（空为全平台）", en: "Store id (empty: every store)" },
  apply: { zh: "查询", en: "Apply" },
  csv: { zh: "导出 CSV", en: "Export CSV" },
  reaggregate: { zh: "重新汇总", en: "Aggregate again" },
  reaggregated: { zh: "已安排重新汇总 {n} 天，稍后刷新查看", en: "{n} days will be aggregated again; refresh in a while" },
  range: { zh: "{start} 至 {end}（{tz}）", en: "{start} to {end} ({tz})" },
  storeTime: { zh: "各店按自己的时区", en: "each store's own time zone" },
  today: { zh: "今日", en: "Today" },
  yesterday: { zh: "昨日 {v}", en: "Yesterday {v}" },
  trend: { zh: "近 30 天", en: "The last 30 days" },
  live: { zh: "销售与订单实时统计；访客每隔几分钟更新。时区：{tz}", en: "Sales and orders are live; visitors are refreshed every few minutes. Time zone: {tz}" },
  details: { zh: "明细", en: "Rows" },
  profile: { zh: "客户画像", en: "Customer profile" },
  userId: { zh: "用户 ID", en: "User id" },
  look: { zh: "查看", en: "Look up" },
  favourites: { zh: "常购分类", en: "Favourite categories" },
  category: { zh: "分类 #{id} · {n} 件", en: "Category #{id} · {n} units" },
  // report sections
  "section.campaigns": { zh: "推广活动（UTM）", en: "UTM campaigns" },
  "section.ads": { zh: "广告", en: "Ads" },
  "section.regions": { zh: "地区", en: "Regions" },
  "section.levels": { zh: "会员等级", en: "Member levels" },
  "section.best_sellers": { zh: "畅销商品", en: "Best sellers" },
  "section.slow_sellers": { zh: "滞销商品", en: "Slow sellers" },
  // report tabs of the platform page
  "report.sales": { zh: "销售", en: "Sales" },
  "report.traffic": { zh: "流量", en: "Traffic" },
  "report.campaigns": { zh: "营销", en: "Campaigns" },
  "report.users": { zh: "客户", en: "Customers" },
  "report.products": { zh: "商品", en: "Products" },
};

// figures: [title, how it is shown] — money is fen shown as yuan, ratio a fraction shown as %
const F = {
  period: [{ zh: "时间", en: "Period" }, "text"],
  source: [{ zh: "来源", en: "Source" }, "enum"],
  campaign: [{ zh: "活动", en: "Campaign" }, "text"],
  kind: [{ zh: "类型", en: "Kind" }, "enum"],
  name: [{ zh: "名称", en: "Name" }, "text"],
  region: [{ zh: "地区", en: "Region" }, "text"],
  level: [{ zh: "会员等级", en: "Level" }, "text"],
  creative_id: [{ zh: "广告", en: "Ad" }, "id"],
  placement: [{ zh: "广告位", en: "Placement" }, "text"],
  product_id: [{ zh: "商品 ID", en: "Product" }, "id"],
  visitors: [{ zh: "访客", en: "Visitors" }, "number"],
  page_views: [{ zh: "浏览量", en: "Page views" }, "number"],
  product_views: [{ zh: "商品浏览", en: "Product views" }, "number"],
  searches: [{ zh: "搜索", en: "Searches" }, "number"],
  carts: [{ zh: "加购", en: "Carts" }, "number"],
  checkouts: [{ zh: "结算", en: "Checkouts" }, "number"],
  orders: [{ zh: "订单", en: "Orders" }, "number"],
  paid: [{ zh: "支付订单", en: "Paid" }, "number"],
  paid_amount: [{ zh: "销售额", en: "Sales" }, "money"],
  refunded_amount: [{ zh: "退款额", en: "Refunded" }, "money"],
  cart_rate: [{ zh: "加购率", en: "Cart rate" }, "ratio"],
  order_rate: [{ zh: "下单率", en: "Order rate" }, "ratio"],
  conversion: [{ zh: "转化率", en: "Conversion" }, "ratio"],
  impressions: [{ zh: "曝光", en: "Impressions" }, "number"],
  clicks: [{ zh: "点击", en: "Clicks" }, "number"],
  ctr: [{ zh: "点击率", en: "CTR" }, "ratio"],
  participants: [{ zh: "参与人数", en: "Participants" }, "number"],
  revenue: [{ zh: "成交额", en: "Revenue" }, "money"],
  discount: [{ zh: "优惠金额", en: "Discount" }, "money"],
  new_buyers: [{ zh: "新买家", en: "New buyers" }, "number"],
  customers: [{ zh: "客户", en: "Customers" }, "number"],
  registered: [{ zh: "新注册", en: "Registered" }, "number"],
  new: [{ zh: "新客", en: "New" }, "number"],
  active: [{ zh: "活跃", en: "Active" }, "number"],
  dormant: [{ zh: "沉睡", en: "Dormant" }, "number"],
  views: [{ zh: "浏览", en: "Views" }, "number"],
  units: [{ zh: "销量", en: "Units" }, "number"],
  refunded_units: [{ zh: "退货件数", en: "Refunded units" }, "number"],
  refunds: [{ zh: "退款额", en: "Refunds" }, "money"],
  cost: [{ zh: "成本", en: "Cost" }, "money"],
  cost_unknown_units: [{ zh: "成本未知件数", en: "Units without cost" }, "number"],
  gross_profit: [{ zh: "毛利", en: "Gross profit" }, "money"],
  average_stock: [{ zh: "平均库存", en: "Average stock" }, "number"],
  turnover: [{ zh: "周转率", en: "Turnover" }, "number"],
  stock: [{ zh: "库存", en: "Stock" }, "number"],
  buyers: [{ zh: "买家", en: "Buyers" }, "number"],
  sales: [{ zh: "销售额", en: "Sales" }, "money"],
  average_order_value: [{ zh: "客单价", en: "Average order" }, "money"],
  spend: [{ zh: "消费金额", en: "Spend" }, "money"],
  first_order_day: [{ zh: "首单日期", en: "First order" }, "text"],
  last_order_day: [{ zh: "最近下单", en: "Last order" }, "text"],
  last_seen_day: [{ zh: "最近访问", en: "Last seen" }, "text"],
};
// the reports' own words: traffic sources and campaign kinds
const ENUM = {
  direct: { zh: "直接访问", en: "Direct" }, search: { zh: "搜索", en: "Search" }, share: { zh: "分享", en: "Share" },
  ad: { zh: "广告", en: "Ad" }, referral: { zh: "推荐", en: "Referral" },
  coupon: { zh: "优惠券", en: "Coupon" }, promotion: { zh: "促销", en: "Promotion" }, groupbuy: { zh: "拼团", en: "Group buy" },
  bargain: { zh: "砍价", en: "Bargain" }, distribution: { zh: "分销", en: "Promoter" },
};

// what each report shows: totals, charts (each drawn when the rows or the section it shows has
// something; the platform's over every store or the one asked for), the rows and further sections
const REPORTS = {
  sales: {
    totals: ["paid_amount", "orders", "average_order_value", "buyers", "new_buyers", "refunded_amount"],
    charts: { sales: "rows" },
    rows: ["period", "orders", "paid_amount", "refunded_amount", "units", "buyers", "new_buyers", "average_order_value"],
    sections: { regions: ["region", "orders", "paid_amount", "refunded_amount", "units", "buyers", "new_buyers"] },
  },
  traffic: {
    totals: ["visitors", "product_views", "carts", "paid", "paid_amount", "conversion"],
    charts: { traffic: "rows", ads: "ads" },
    rows: ["source", "visitors", "page_views", "product_views", "searches", "carts", "checkouts", "orders", "paid", "paid_amount", "cart_rate", "order_rate", "conversion"],
    sections: {
      campaigns: ["campaign", "source", "visitors", "carts", "orders", "paid", "paid_amount", "conversion"],
      ads: ["creative_id", "placement", "impressions", "clicks", "ctr"],
    },
  },
  campaigns: {
    totals: ["orders", "paid", "revenue", "discount", "new_buyers", "conversion"],
    charts: { campaigns: "rows" },
    rows: ["kind", "name", "participants", "orders", "paid", "revenue", "discount", "new_buyers", "conversion"],
    sections: {},
  },
  users: {
    totals: ["customers", "registered", "new", "active", "dormant"],
    charts: { users: "regions" },
    rows: ["region", "level", "customers", "registered", "new", "active", "dormant"],
    sections: { levels: ["level", "customers", "registered", "new", "active", "dormant"] },
  },
  products: {
    totals: ["units", "revenue", "refunds", "cost", "gross_profit"],
    charts: { products: "best_sellers" },
    rows: ["name", "views", "visitors", "carts", "units", "refunded_units", "revenue", "refunds", "cost", "cost_unknown_units", "gross_profit", "average_stock", "turnover"],
    sections: {
      best_sellers: ["name", "units", "revenue", "gross_profit"],
      slow_sellers: ["name", "units", "revenue", "stock"],
    },
  },
};
const DASHBOARD = ["sales", "orders", "buyers", "visitors", "conversion", "average_order_value"];

function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

function show(kit, field, value) {
  const kind = (F[field] || [null, "text"])[1];
  if (value === null || value === undefined || value === "") return "—";
  if (kind === "money") return kit.yuan(value);
  if (kind === "ratio") return `${(value * 100).toFixed(2)}%`;
  if (kind === "enum") return ENUM[value] ? kit.t(ENUM[value]) : value;
  if (kind === "id") return `#${value}`;
  if (kind === "number") return typeof value === "number" ? value.toLocaleString("en-US") : value;
  return String(value);
}

function columns(kit, fields) {
  return fields.map((f) => {
    const kind = (F[f] || [null, "text"])[1];
    return {
      title: F[f] ? F[f][0] : f,
      kind: ["money", "number", "ratio"].includes(kind) ? "number" : "text",
      render: (row) => show(kit, f, row[f]),
    };
  });
}

// -- pieces -----------------------------------------------------------------------------------
/** A chart the plugin draws on the server: its SVG, fetched with the token, as a data: image. */
function Chart({ kit, path, name }) {
  const { html, useState, useEffect, getBlob, Failure, Loading, LANG } = kit;
  const [src, setSrc] = useState(null);
  const [error, setError] = useState(null);
  const url = `${path}${path.includes("?") ? "&" : "?"}lang=${LANG}`;
  useEffect(() => {
    let live = true;
    setSrc(null);
    getBlob(url)
      .then((blob) => blob.text())
      .then((svg) => live && setSrc(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`), (e) => live && setError(e));
    return () => { live = false; };
  }, [url]);
  return html`<figure class="card chart" data-chart=${name}>
    ${error ? html`<${Failure} error=${error} />` : src ? html`<img src=${src} alt=${name} />` : html`<${Loading} />`}
  </figure>`;
}

function Stat({ kit, field, value, sub }) {
  const { html, t } = kit;
  return html`<div class="card stat" data-stat=${field}>
    <div class="label">${t(F[field][0])}</div>
    <div class="value">${show(kit, field, value)}</div>
    ${sub ? html`<div class="sub">${sub}</div>` : null}
  </div>`;
}

function change(value) {
  if (value === null || value === undefined) return "";
  const pct = `${Math.abs(value * 100).toFixed(1)}%`;
  return value > 0 ? ` ↑${pct}` : value < 0 ? ` ↓${pct}` : " ±0%";
}

// -- the store dashboard ----------------------------------------------------------------------
function Dashboard({ kit, merchantId }) {
  const { html, useState, useEffect, get, t, Failure, Loading } = kit;
  const base = `/merchants/${merchantId}/analytics`;
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => { get(`${base}/dashboard`).then(setData, setError); }, [base]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!data) return html`<${Loading} />`;
  return html`<div class="analytics stack" data-report="dashboard">
    <h2>${t(W.today)} · ${data.today.day}</h2>
    <div class="grid stats">
      ${DASHBOARD.map((f) => html`<${Stat} kit=${kit} field=${f} value=${data.today[f]}
        sub=${t(W.yesterday, { v: show(kit, f, data.yesterday[f]) }) + change(data.change[f])} />`)}
    </div>
    <p class="muted">${t(W.live, { tz: data.timezone })}</p>
    <h2>${t(W.trend)}</h2>
    <${Chart} kit=${kit} name="sales" path=${`${base}/charts/sales.svg`} />
    <${Chart} kit=${kit} name="traffic" path=${`${base}/charts/traffic.svg`} />
  </div>`;
}

// -- a report ---------------------------------------------------------------------------------
function RangeBar({ kit, report, draft, setDraft, onApply, onExport, onReaggregate, platform }) {
  const { html, t } = kit;
  const set = (k) => (e) => setDraft({ ...draft, [k]: e.target.value });
  return html`<form class="card filters" style="align-items: flex-end" onSubmit=${(e) => { e.preventDefault(); onApply(); }}>
    <label class="field"><span>${t(W.start)}</span><input type="date" name="start" value=${draft.start || ""} onInput=${set("start")} /></label>
    <label class="field"><span>${t(W.end)}</span><input type="date" name="end" value=${draft.end || ""} onInput=${set("end")} /></label>
    ${report === "sales" ? html`<label class="field"><span>${t(W.period)}</span>
      <select name="period" value=${draft.period || "day"} onChange=${set("period")}>
        ${["day", "week", "month"].map((p) => html`<option value=${p}>${t(W[`period.${p}`])}</option>`)}
      </select></label>` : null}
    ${report === "products" ? html`<label class="field"><span>${t(W.limit)}</span>
      <input type="number" name="limit" min="1" max="100" value=${draft.limit || 10} onInput=${set("limit")} /></label>` : null}
    ${platform ? html`<label class="field"><span>${t(W.store)}</span>
      <input type="number" name="merchant_id" min="1" value=${draft.merchant_id || ""} onInput=${set("merchant_id")} /></label>` : null}
    <div class="buttons">
      <button class="btn primary" type="submit" data-action="apply">${t(W.apply)}</button>
      <button class="btn" type="button" data-action="csv" onClick=${onExport}>${t(W.csv)}</button>
      ${onReaggregate ? html`<button class="btn" type="button" data-action="reaggregate" onClick=${onReaggregate}>${t(W.reaggregate)}</button>` : null}
    </div>
  </form>`;
}

function CustomerProfile({ kit, merchantId }) {
  const { html, useState, get, t, Failure } = kit;
  const [userId, setUserId] = useState("");
  const [profile, setProfile] = useState(null);
  const [error, setError] = useState(null);
  const look = async (e) => {
    e.preventDefault();
    setError(null); setProfile(null);
    try { setProfile(await get(`/merchants/${merchantId}/analytics/customers/${Number(userId)}`)); } catch (err) { setError(err); }
  };
  const fields = ["orders", "spend", "first_order_day", "last_order_day", "last_seen_day", "region", "level"];
  return html`<section class="card customer-profile">
    <h2>${t(W.profile)}</h2>
    <form class="filters" onSubmit=${look}>
      <input type="number" min="1" name="user_id" aria-label=${t(W.userId)} placeholder=${t(W.userId)} value=${userId} onInput=${(e) => setUserId(e.target.value)} required />
      <button class="btn" type="submit" data-action="profile">${t(W.look)}</button>
    </form>
    ${error ? html`<${Failure} error=${error} />` : null}
    ${profile ? html`<dl class="sums" data-user=${profile.user_id}>
      ${fields.map((f) => html`<dt>${t(F[f][0])}</dt><dd>${show(kit, f, profile[f])}</dd>`)}
      <dt>${t(W.favourites)}</dt><dd>${profile.favourite_categories.map((c) => t(W.category, { id: c.category_id, n: c.units })).join("，") || "—"}</dd>
    </dl>` : null}
  </section>`;
}

function Report({ kit, merchantId, report, platform }) {
  const { html, useState, useEffect, get, api, download, t, toast, Table, Failure, Loading } = kit;
  const spec = REPORTS[report];
  const base = platform ? "/admin/analytics" : `/merchants/${merchantId}/analytics`;
  const [args, setArgs] = useState({});
  const [draft, setDraft] = useState({});
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let live = true;
    setData(null); setError(null);
    get(`${base}/${report}${qs(args)}`).then((answer) => {
      if (!live) return;
      setData(answer);
      setDraft((d) => ({ ...d, start: answer.start, end: answer.end }));
    }, (e) => live && setError(e));
    return () => { live = false; };
  }, [base, report, JSON.stringify(args)]);
  const apply = () => setArgs({ ...draft });
  const exportCsv = () => download(`${base}/reports/${report}.csv${qs(args)}`, `${report}-${data ? data.start : ""}-${data ? data.end : ""}.csv`)
    .catch((e) => toast(e.message, "bad"));
  const reaggregate = async () => {
    try {
      const answer = await api("POST", `${base}/aggregate`, { start: draft.start, end: draft.end });
      toast(t(W.reaggregated, { n: answer.days.length }));
    } catch (e) { toast(e.message, "bad"); }
  };
  const chartArgs = qs({ start: args.start, end: args.end, period: args.period, limit: args.limit, merchant_id: platform ? args.merchant_id : undefined });
  return html`<div class="analytics stack" data-report=${report}>
    <${RangeBar} kit=${kit} report=${report} draft=${draft} setDraft=${setDraft} platform=${platform}
      onApply=${apply} onExport=${exportCsv} onReaggregate=${platform ? null : reaggregate} />
    ${error ? html`<${Failure} error=${error} />` : !data ? html`<${Loading} />` : html`
      <p class="muted range">${t(W.range, { start: data.start, end: data.end, tz: data.timezone === "store time" ? t(W.storeTime) : data.timezone })}</p>
      <div class="grid stats">${spec.totals.map((f) => html`<${Stat} kit=${kit} field=${f} value=${data.totals[f]} />`)}</div>
      ${Object.entries(spec.charts)
        .filter(([, from]) => (from === "rows" ? data.rows : data.sections[from] || []).length)
        .map(([c]) => html`<${Chart} kit=${kit} name=${c} key=${c} path=${`${base}/charts/${c}.svg${chartArgs}`} />`)}
      <section class="card" data-section="rows">
        <h2>${t(W.details)}</h2>
        <${Table} label=${t(W.details)} columns=${columns(kit, spec.rows)} rows=${data.rows} />
      </section>
      ${Object.entries(spec.sections).map(([name, fields]) => html`<section class="card" data-section=${name} key=${name}>
        <h2>${t(W[`section.${name}`])}</h2>
        <${Table} label=${t(W[`section.${name}`])} columns=${columns(kit, fields)} rows=${data.sections[name] || []} />
      </section>`)}`}
    ${report === "users" && !platform ? html`<${CustomerProfile} kit=${kit} merchantId=${merchantId} />` : null}
  </div>`;
}

function Platform({ kit }) {
  const { html, useState, t } = kit;
  const [report, setReport] = useState("sales");
  return html`<div class="analytics-platform stack">
    <nav class="tabs">${Object.keys(REPORTS).map((r) => html`<button class=${`tab ${r === report ? "active" : ""}`}
      data-tab=${r} onClick=${() => setReport(r)}>${t(W[`report.${r}`])}</button>`)}</nav>
    <${Report} kit=${kit} report=${report} platform=${true} key=${report} />
  </div>`;
}

export default function Analytics(props) {
  const { page, kit } = props;
  const { html } = kit;
  if (page.key === "platform") return html`<${Platform} ...${props} />`;
  if (page.key === "dashboard") return html`<${Dashboard} ...${props} />`;
  return html`<${Report} ...${props} report=${page.key} />`;
}
