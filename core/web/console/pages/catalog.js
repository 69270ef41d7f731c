// The catalog: products (list, shelf on/off, the editor with specs and the SKU grid they make,
// images), categories, brands, CSV import with progress and row errors, export.
import {
  html, useState, useEffect, useRef, get, api, t, yuan, Link, Table, Pager, Loading, Failure, Modal, SchemaForm,
  useLoad, toast, query, go, toFen, fenToText, session, ApiError,
} from "/console/lib.js";

const WRITERS = ["owner", "manager", "admin"];
const STATUSES = ["live", "on_shelf", "off_shelf"];

export function Products({ merchantId, base, rest, role }) {
  if (rest && rest[0]) return html`<${ProductEditor} merchantId=${merchantId} base=${base} productId=${rest[0] === "new" ? null : Number(rest[0])} canEdit=${WRITERS.includes(role)} />`;
  const [status, setStatus] = useState("live");
  const [q, setQ] = useState("");
  const [page, setPage] = useState(1);
  const [data, error, reload] = useLoad(() => get(`/merchants/${merchantId}/products${query({ status, q, page, page_size: 20 })}`, { page: true }), [merchantId, status, q, page]);
  const canEdit = WRITERS.includes(role);
  const shelf = async (p, on) => {
    try { await api("POST", `/merchants/${merchantId}/products/shelf`, { product_ids: [p.id], on_shelf: on }); toast(t("common.saved")); }
    catch (e) { toast(e.message, "bad"); }
    reload();
  };
  return html`<section class="page">
    <header class="page-head"><h1>${t("products.title")}</h1>${data ? html`<span class="muted">${t("common.total", { n: data.total })}</span>` : null}
      <div class="spacer"></div>${canEdit ? html`<${Link} class="btn primary" href=${`${base}/products/new`} data-action="new-product">${t("products.new")}</${Link}>` : null}</header>
    <div class="tabs" role="tablist">${STATUSES.map((s) => html`<button role="tab" aria-selected=${status === s} class=${status === s ? "tab active" : "tab"} onClick=${() => { setStatus(s); setPage(1); }}>${t(s === "live" ? "common.all" : s === "on_shelf" ? "products.onShelf" : "products.offShelf")}</button>`)}</div>
    <form class="filters" onSubmit=${(e) => { e.preventDefault(); setQ(e.target.q.value); setPage(1); }}>
      <input name="q" aria-label=${t("common.search")} placeholder=${t("products.name")} /><button class="btn">${t("common.search")}</button>
    </form>
    ${error ? html`<${Failure} error=${error} />` : !data ? html`<${Loading} />` : html`
      <${Table} label=${t("products.title")} rows=${data.items} columns=${[
        { title: "products.images", render: (p) => (p.image ? html`<img class="thumb" src=${p.image} alt="" width="40" height="40" />` : html`<span class="thumb empty-thumb"></span>`) },
        { title: "products.name", render: (p) => html`<${Link} href=${`${base}/products/${p.id}`}>${p.name}</${Link}>${p.subtitle ? html`<div class="muted subline">${p.subtitle}</div>` : null}` },
        { title: "products.price", kind: "money", render: (p) => html`<span class="num">${p.price_min === p.price_max ? yuan(p.price_min) : `${yuan(p.price_min)} – ${yuan(p.price_max)}`}</span>` },
        { title: "products.sales", field: "sales_count", kind: "number" },
        { title: "products.status", render: (p) => html`<span class=${`badge ${p.visible ? "ok" : "mute"}`}>${p.is_on_shelf ? t("products.onShelf") : t("products.offShelf")}</span>` },
      ]} actions=${canEdit ? (p) => html`<button class="btn small" onClick=${() => shelf(p, !p.is_on_shelf)}>${p.is_on_shelf ? t("products.takeOff") : t("products.putOn")}</button>` : null} />
      <${Pager} page=${page} pages=${data.pages} onPage=${setPage} />`}
  </section>`;
}

/** Every combination of the specs' values: [{颜色: 红, 尺码: M}, ...]. */
function combinations(specs) {
  const dims = specs.filter((s) => s.name.trim() && s.values.length);
  let out = [{}];
  for (const d of dims) out = out.flatMap((c) => d.values.map((v) => ({ ...c, [d.name.trim()]: v })));
  return out;
}
const keyOf = (specs) => JSON.stringify(Object.entries(specs).sort());
const splitValues = (text) => text.split(/[,，、]/).map((v) => v.trim()).filter(Boolean);

function ProductEditor({ merchantId, base, productId, canEdit }) {
  const [loaded, setLoaded] = useState(productId ? null : {});
  const [form, setForm] = useState({ name: "", subtitle: "", description: "", category_id: "", brand_id: "", is_on_shelf: true, shelf_on_at: "" });
  const [images, setImages] = useState([]);
  const [specs, setSpecs] = useState([{ name: "", text: "" }]);
  const [skus, setSkus] = useState({});
  const [errors, setErrors] = useState({});
  const [message, setMessage] = useState("");
  const [busy, setBusy] = useState(false);
  const [options] = useLoad(() => Promise.all([
    get(`/merchants/${merchantId}/categories`).catch(() => []),
    get(`/merchants/${merchantId}/brands?page_size=100`).catch(() => []),
  ]), [merchantId]);

  useEffect(() => {
    if (!productId) return;
    get(`/merchants/${merchantId}/products/${productId}`).then((p) => {
      setForm({ name: p.name, subtitle: p.subtitle || "", description: p.description || "", category_id: p.category_id || "", brand_id: p.brand_id || "", is_on_shelf: p.is_on_shelf, shelf_on_at: "" });
      setImages(p.images || []);
      setSpecs(p.specs.length ? p.specs.map((s) => ({ name: s.name, text: s.values.join(", ") })) : [{ name: "", text: "" }]);
      const rows = {};
      for (const s of p.skus) rows[keyOf(s.specs)] = { price: fenToText(s.price), original_price: fenToText(s.original_price), stock: String(s.stock), low_stock_threshold: s.low_stock_threshold ?? "", code: s.code };
      setSkus(rows);
      setLoaded(p);
    }, (e) => setLoaded({ error: e }));
  }, [productId]);

  if (!loaded) return html`<${Loading} />`;
  if (loaded.error) return html`<${Failure} error=${loaded.error} />`;
  const parsedSpecs = specs.map((s) => ({ name: s.name, values: splitValues(s.text) }));
  const combos = combinations(parsedSpecs);
  const row = (c) => skus[keyOf(c)] || { price: "", original_price: "", stock: "0", low_stock_threshold: "", code: "" };
  const setRow = (c, field, value) => setSkus({ ...skus, [keyOf(c)]: { ...row(c), [field]: value } });
  const applyAll = (field) => {
    const value = row(combos[0])[field];
    const next = { ...skus };
    for (const c of combos) next[keyOf(c)] = { ...row(c), [field]: value };
    setSkus(next);
  };

  const upload = async (e) => {
    const files = [...e.target.files];
    for (const file of files) {
      const body = new FormData();
      body.append("file", file);
      try {
        const answer = await api("POST", `/merchants/${merchantId}/media`, body);
        setImages((xs) => [...xs, answer.url]);
      } catch (err) { toast(err.message, "bad"); }
    }
    e.target.value = "";
  };

  const submit = async (e) => {
    e.preventDefault();
    const local = {};
    const skuList = combos.map((c, i) => {
      const r = row(c);
      const price = toFen(r.price);
      if (Number.isNaN(price)) local[`skus.${i}.price`] = [t("form.money")];
      const sku = { specs: c, price, stock: Number(r.stock || 0) };
      if (r.original_price !== "") { const v = toFen(r.original_price); if (Number.isNaN(v)) local[`skus.${i}.original_price`] = [t("form.money")]; else sku.original_price = v; }
      if (r.low_stock_threshold !== "" && r.low_stock_threshold !== null) sku.low_stock_threshold = Number(r.low_stock_threshold);
      if (r.code) sku.code = r.code;
      return sku;
    });
    if (Object.keys(local).length) { setErrors(local); return; }
    const body = {
      name: form.name, subtitle: form.subtitle, description: form.description, images,
      category_id: form.category_id ? Number(form.category_id) : null, brand_id: form.brand_id ? Number(form.brand_id) : null,
      specs: parsedSpecs.filter((s) => s.name.trim() && s.values.length).map((s) => ({ name: s.name.trim(), values: s.values })),
      skus: skuList, is_on_shelf: !!form.is_on_shelf,
    };
    if (!form.is_on_shelf && form.shelf_on_at) body.shelf_on_at = new Date(form.shelf_on_at).toISOString();
    setBusy(true); setErrors({}); setMessage("");
    try {
      const saved = productId
        ? await api("PATCH", `/merchants/${merchantId}/products/${productId}`, body)
        : await api("POST", `/merchants/${merchantId}/products`, body);
      toast(productId ? t("common.saved") : t("products.created"));
      go(`${base}/products/${saved.id}`);
      if (productId) setLoaded(null) || setTimeout(() => location.reload(), 0);
    } catch (err) {
      if (err instanceof ApiError) { setErrors(flatten(err.errors)); setMessage(err.message); } else setMessage(String(err));
    } finally { setBusy(false); }
  };
  const err = (name) => (errors[name] ? html`<div class="field-error" role="alert">${[].concat(errors[name]).join(" ")}</div>` : null);
  const [categories, brands] = options || [[], []];
  const set = (name) => (e) => setForm({ ...form, [name]: e.target.type === "checkbox" ? e.target.checked : e.target.value });

  return html`<section class="page">
    <header class="page-head"><${Link} href=${`${base}/products`} class="back">‹ ${t("products.title")}</${Link}>
      <h1>${productId ? loaded.name : t("products.new")}</h1><div class="spacer"></div>
      ${productId ? html`<${Link} class="btn" href=${`${base}/stock?product_id=${productId}`} data-action="product-stock">${t("nav.stock")}</${Link}>` : null}</header>
    <form class="product-form" onSubmit=${submit} noValidate>
      <div class="card form">
        <div class=${`field ${errors.name ? "has-error" : ""}`}><label for="p-name">${t("products.name")}<span class="req">*</span></label>
          <input id="p-name" name="name" value=${form.name} onInput=${set("name")} />${err("name")}</div>
        <div class="field"><label for="p-subtitle">${t("products.subtitle")}</label><input id="p-subtitle" value=${form.subtitle} onInput=${set("subtitle")} />${err("subtitle")}</div>
        <div class="grid two">
          <div class="field"><label for="p-category">${t("products.category")}</label>
            <select id="p-category" value=${form.category_id} onChange=${set("category_id")}><option value="">—</option>
              ${categories.map((c) => html`<option value=${c.id}>${"　".repeat(c.depth || 0)}${c.name}</option>`)}</select>${err("category_id")}</div>
          <div class="field"><label for="p-brand">${t("products.brand")}</label>
            <select id="p-brand" value=${form.brand_id} onChange=${set("brand_id")}><option value="">—</option>
              ${brands.map((b) => html`<option value=${b.id}>${b.name}</option>`)}</select>${err("brand_id")}</div>
        </div>
        <div class="field"><label for="p-description">${t("products.description")}</label><textarea id="p-description" rows="3" value=${form.description} onInput=${set("description")} /></div>
        <div class="field"><span class="label">${t("products.images")}</span>
          <div class="thumbs">${images.map((url, i) => html`<figure class="thumb-box"><img src=${url} alt="" /><button type="button" class="icon" aria-label=${t("common.delete")} onClick=${() => setImages(images.filter((_, j) => j !== i))}>×</button></figure>`)}
            ${canEdit ? html`<label class="upload btn"><input type="file" accept="image/*" multiple onChange=${upload} hidden />＋ ${t("products.upload")}</label>` : null}</div>${err("images")}</div>
      </div>
      <div class="card">
        <h2>${t("products.specs")}</h2>
        ${specs.map((s, i) => html`<div class="spec-row" data-spec=${i}>
          <input aria-label=${t("products.specName")} placeholder=${t("products.specNameExample")} value=${s.name} onInput=${(e) => setSpecs(specs.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)))} />
          <input aria-label=${t("products.specValues")} placeholder=${t("products.specValuesExample")} value=${s.text} onInput=${(e) => setSpecs(specs.map((x, j) => (j === i ? { ...x, text: e.target.value } : x)))} />
          <button type="button" class="btn small" onClick=${() => setSpecs(specs.length > 1 ? specs.filter((_, j) => j !== i) : [{ name: "", text: "" }])}>${t("common.delete")}</button>
        </div>`)}
        ${specs.length < 5 ? html`<button type="button" class="btn small" data-action="add-spec" onClick=${() => setSpecs([...specs, { name: "", text: "" }])}>＋ ${t("products.addSpec")}</button>` : null}
        ${err("specs")}
        <h2 class="sku-title">${t("products.skus")} (${combos.length})</h2>
        <div class="table-wrap sku-table"><table aria-label=${t("products.skus")}>
          <thead><tr><th>${t("products.specs")}</th><th>${t("products.price")} (¥)<span class="req">*</span> <button type="button" class="link small" onClick=${() => applyAll("price")}>${t("products.applyAll")}</button></th>
            <th>${t("products.originalPrice")} (¥)</th><th>${t("products.stock")} <button type="button" class="link small" onClick=${() => applyAll("stock")}>${t("products.applyAll")}</button></th><th>${t("products.threshold")}</th><th>${t("products.code")}</th></tr></thead>
          <tbody>${combos.map((c, i) => html`<tr data-sku=${i}>
            <td>${Object.values(c).join(" / ") || "—"}</td>
            <td><input name=${`price-${i}`} inputmode="decimal" value=${row(c).price} onInput=${(e) => setRow(c, "price", e.target.value)} />${err(`skus.${i}.price`)}</td>
            <td><input name=${`original-${i}`} inputmode="decimal" value=${row(c).original_price} onInput=${(e) => setRow(c, "original_price", e.target.value)} />${err(`skus.${i}.original_price`)}</td>
            <td><input name=${`stock-${i}`} type="number" min="0" value=${row(c).stock} onInput=${(e) => setRow(c, "stock", e.target.value)} />${err(`skus.${i}.stock`)}</td>
            <td><input name=${`threshold-${i}`} type="number" min="0" value=${row(c).low_stock_threshold} onInput=${(e) => setRow(c, "low_stock_threshold", e.target.value)} />${err(`skus.${i}.low_stock_threshold`)}</td>
            <td><input name=${`code-${i}`} value=${row(c).code} onInput=${(e) => setRow(c, "code", e.target.value)} />${err(`skus.${i}.code`)}</td>
          </tr>`)}</tbody></table></div>
        ${err("skus")}
      </div>
      <div class="card form">
        <label class="check"><input type="checkbox" name="is_on_shelf" checked=${form.is_on_shelf} onChange=${set("is_on_shelf")} /> ${t("products.onShelf")}</label>
        ${!form.is_on_shelf ? html`<div class="field"><label for="p-shelf-on">${t("products.schedule")}</label><input id="p-shelf-on" type="datetime-local" value=${form.shelf_on_at} onInput=${set("shelf_on_at")} />${err("shelf_on_at")}</div>` : null}
        ${message ? html`<div class="alert error" role="alert">${message}</div>` : null}
        ${canEdit ? html`<div class="buttons"><button class="btn primary" type="submit" disabled=${busy}>${t("common.save")}</button></div>` : null}
      </div>
    </form>
  </section>`;
}

/** {"skus": {"0": {"price": [..]}}} → {"skus.0.price": [..]}. */
function flatten(errors, prefix = "") {
  const out = {};
  for (const [k, v] of Object.entries(errors || {})) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === "object" && !Array.isArray(v)) Object.assign(out, flatten(v, key));
    else out[key] = v;
  }
  return out;
}

const CATEGORY_IN = { type: "object", required: ["name"], properties: { name: { type: "string", minLength: 1, maxLength: 64 } } };

export function Categories({ merchantId }) {
  const [rows, error, reload] = useLoad(() => get(`/merchants/${merchantId}/categories`), [merchantId]);
  const [dialog, setDialog] = useState(null);
  if (error) return html`<${Failure} error=${error} />`;
  if (!rows) return html`<${Loading} />`;
  const remove = async (c) => {
    if (!confirm(t("common.confirm"))) return;
    try { await api("DELETE", `/merchants/${merchantId}/categories/${c.id}`); toast(t("common.done")); } catch (e) { toast(e.message, "bad"); }
    reload();
  };
  const save = async (body) => {
    if (dialog.category) await api("PATCH", `/merchants/${merchantId}/categories/${dialog.category.id}`, body);
    else await api("POST", `/merchants/${merchantId}/categories`, { ...body, parent_id: dialog.parent ? dialog.parent.id : null });
    setDialog(null); toast(t("common.saved")); reload();
  };
  return html`<section class="page">
    <header class="page-head"><h1>${t("categories.title")}</h1><div class="spacer"></div>
      <button class="btn primary" data-action="new-category" onClick=${() => setDialog({})}>${t("common.create")}</button></header>
    <${Table} label=${t("categories.title")} rows=${rows} columns=${[
      { title: "categories.name", render: (c) => html`<span style=${`padding-left:${(c.depth || 0) * 24}px`}>${c.depth ? "└ " : ""}${c.name}</span>` },
    ]} actions=${(c) => html`
      <button class="btn small" onClick=${() => setDialog({ parent: c })}>＋ ${t("categories.child")}</button>
      <button class="btn small" onClick=${() => setDialog({ category: c })}>${t("common.edit")}</button>
      <button class="btn small danger" onClick=${() => remove(c)}>${t("common.delete")}</button>`} />
    ${dialog ? html`<${Modal} title=${dialog.category ? dialog.category.name : dialog.parent ? `${dialog.parent.name} › ${t("categories.child")}` : t("common.create")} onClose=${() => setDialog(null)}>
      <${SchemaForm} schema=${CATEGORY_IN} initial=${dialog.category} labels=${{ name: "categories.name" }} idPrefix="category" onSubmit=${save} />
    </${Modal}>` : null}
  </section>`;
}

const BRAND_IN = { type: "object", required: ["name"], properties: { name: { type: "string", minLength: 1, maxLength: 100 }, story: { type: "string", maxLength: 20000 } } };

export function Brands({ merchantId }) {
  const [page, setPage] = useState(1);
  const [data, error, reload] = useLoad(() => get(`/merchants/${merchantId}/brands${query({ page, page_size: 20 })}`, { page: true }), [merchantId, page]);
  const [dialog, setDialog] = useState(null);
  const save = async (body) => {
    if (dialog.brand) await api("PATCH", `/merchants/${merchantId}/brands/${dialog.brand.id}`, body);
    else await api("POST", `/merchants/${merchantId}/brands`, body);
    setDialog(null); toast(t("common.saved")); reload();
  };
  const remove = async (b) => {
    if (!confirm(t("common.confirm"))) return;
    try { await api("DELETE", `/merchants/${merchantId}/brands/${b.id}`); toast(t("common.done")); } catch (e) { toast(e.message, "bad"); }
    reload();
  };
  return html`<section class="page">
    <header class="page-head"><h1>${t("brands.title")}</h1><div class="spacer"></div>
      <button class="btn primary" data-action="new-brand" onClick=${() => setDialog({})}>${t("common.create")}</button></header>
    ${error ? html`<${Failure} error=${error} />` : !data ? html`<${Loading} />` : html`
      <${Table} label=${t("brands.title")} rows=${data.items} columns=${[{ title: "brands.name", field: "name" }, { title: "field.description", render: (b) => html`<span class="ellipsis">${b.story || "—"}</span>` }]}
        actions=${(b) => html`<button class="btn small" onClick=${() => setDialog({ brand: b })}>${t("common.edit")}</button>
          <button class="btn small danger" onClick=${() => remove(b)}>${t("common.delete")}</button>`} />
      <${Pager} page=${page} pages=${data.pages} onPage=${setPage} />`}
    ${dialog ? html`<${Modal} title=${dialog.brand ? dialog.brand.name : t("common.create")} onClose=${() => setDialog(null)}>
      <${SchemaForm} schema=${BRAND_IN} initial=${dialog.brand} labels=${{ name: "brands.name", story: "field.description" }} idPrefix="brand" onSubmit=${save} />
    </${Modal}>` : null}
  </section>`;
}

/** CSV import: the server streams its progress (one JSON line per product) and then the
 * report with every bad row; export downloads the catalog in the same format. */
export function Import({ merchantId }) {
  const [progress, setProgress] = useState(null);
  const [report, setReport] = useState(null);
  const [skip, setSkip] = useState(false);
  const [error, setError] = useState("");
  const run = async (e) => {
    e.preventDefault();
    const file = e.target.file.files[0];
    if (!file) return;
    setReport(null); setError(""); setProgress({ done: 0, total: 0 });
    const body = new FormData();
    body.append("file", file);
    const answer = await fetch(`/api/v1/merchants/${merchantId}/products/import?skip_bad_rows=${skip ? "true" : "false"}`, { method: "POST", body, headers: { Authorization: `Bearer ${session.token}` } });
    if (!answer.ok) { const data = await answer.json().catch(() => ({})); setError(data.message || answer.statusText); setProgress(null); return; }
    const reader = answer.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (!line) continue;
        const item = JSON.parse(line);
        if (item.report) { setReport(item.report); setProgress((p) => ({ ...p, done: p.total })); } else setProgress(item);
      }
    }
  };
  const exportCsv = async () => {
    const answer = await fetch(`/api/v1/merchants/${merchantId}/products/export`, { headers: { Authorization: `Bearer ${session.token}` } });
    if (!answer.ok) { toast(answer.statusText, "bad"); return; }
    const url = URL.createObjectURL(await answer.blob());
    const a = document.createElement("a");
    a.href = url; a.download = `products-${merchantId}.csv`; a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  const pct = progress && progress.total ? Math.round((100 * progress.done) / progress.total) : 0;
  return html`<section class="page">
    <header class="page-head"><h1>${t("import.title")}</h1><div class="spacer"></div>
      <button class="btn" data-action="export" onClick=${exportCsv}>${t("import.export")}</button></header>
    <form class="card form" onSubmit=${run}>
      <div class="field"><label for="import-file">${t("import.file")}</label><input id="import-file" name="file" type="file" accept=".csv,text/csv" /></div>
      <label class="check"><input type="checkbox" checked=${skip} onChange=${(e) => setSkip(e.target.checked)} /> ${t("import.skip")}</label>
      <p class="muted">${t("import.help")}</p>
      <div class="buttons"><button class="btn primary" type="submit">${t("import.start")}</button></div>
      ${error ? html`<div class="alert error" role="alert">${error}</div>` : null}
    </form>
    ${progress ? html`<div class="card" id="import-progress"><h2>${t("import.progress")}</h2>
      <div class="progress" role="progressbar" aria-valuenow=${pct} aria-valuemin="0" aria-valuemax="100"><div style=${`width:${pct}%`}></div></div>
      <p class="muted">${progress.done} / ${progress.total} ${t("import.rows")}</p></div>` : null}
    ${report ? html`<div class="card" id="import-report">
      <div class=${`alert ${report.committed ? "ok" : "error"}`}>${report.committed ? t("import.ok", { n: report.created_products }) : t("import.failed")}${" · "}${t("import.created", { p: report.created_products, s: report.created_skus, k: report.skipped_products })}</div>
      ${report.errors.length ? html`<h2>${t("import.errors")}</h2><${Table} label=${t("import.errors")} rows=${report.errors} columns=${[
        { title: "import.row", field: "line", kind: "number" }, { title: "import.field", field: "field" }, { title: "import.message", field: "message" },
      ]} />` : null}
    </div>` : null}
  </section>`;
}
