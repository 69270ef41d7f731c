// A page a plugin describes (register_console_pages): a list from one of its routes with
// columns, row actions and a create form generated from its JSON Schema — or its own module.
import {
  html, useState, useEffect, get, api, t, Table, Pager, Loading, Failure, Modal, SchemaForm, useLoad,
  toast, query, pick, Cell, LANG, yuan, when, Link, getBlob, download,
} from "/console/lib.js";

/** Fill ``{merchant_id}`` and ``{field}`` placeholders of a route path. */
function fill(path, merchantId, row) {
  // platform pages have no store of their own: a row's merchant_id names it
  return path.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(name === "merchant_id" && merchantId ? merchantId : pick(row || {}, name)));
}

/** A form with a file field is sent as multipart (the route reads it from ``files``). */
function asBody(form, body) {
  const props = (form && form.schema && form.schema.properties) || {};
  if (!Object.values(props).some((p) => p.format === "binary")) return body;
  const data = new FormData();
  for (const [k, v] of Object.entries(body || {})) data.append(k, v);
  return data;
}

function Component({ page, ...props }) {
  const [mod, setMod] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => { import(page.component).then((m) => setMod(() => m.default), setError); }, [page.component]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!mod) return html`<${Loading} />`;
  // the module gets what it needs to talk to the API and render like the rest of the console
  const kit = {
    html, useState, useEffect, get, api, getBlob, download, query, t, yuan, when, Table, Loading, Failure, SchemaForm,
    toast, LANG, Link,
  };
  return html`<section class="page plugin-page" data-plugin=${page.plugin}>
    <header class="page-head"><h1>${t(page.title)}</h1></header>
    ${t(page.description) ? html`<p class="muted">${t(page.description)}</p>` : null}
    <${mod} ...${props} page=${page} kit=${kit} />
  </section>`;
}

export function PluginPage(props) {
  const { page, merchantId } = props;
  if (page.component) return html`<${Component} ...${props} />`;
  const [filters, setFilters] = useState({});
  const [pageNo, setPageNo] = useState(1);
  const [dialog, setDialog] = useState(null);
  const listPath = fill(page.path, merchantId);
  const [data, error, reload] = useLoad(async () => {
    const answer = await get(`${listPath}${query({ ...filters, page: pageNo, page_size: 20 })}`, { page: true });
    // routes answering an object that holds the list ({items: [...]}) are read as well
    if (!Array.isArray(answer.items) && answer.items && typeof answer.items === "object") {
      const list = Object.values(answer.items).find(Array.isArray) || [answer.items];
      return { items: list, total: list.length, pages: 1 };
    }
    return answer;
  }, [listPath, filters, pageNo]);

  const run = async (action, row, body) => {
    const answer = await api(action.method, fill(action.path, merchantId, row), body === undefined ? (action.method === "DELETE" ? undefined : {}) : body, { idempotent: true });
    reload();
    const of = (columns) => (columns || []).filter((c) => answer && pick(answer, c.field) != null).map((c) => ({ ...c, value: pick(answer, c.field) }));
    // fields the API answers only this once (a new secret): shown until the dialog is closed;
    // fields to show as the result (a preview)
    const once = of(action.reveal), result = of(action.show);
    if (once.length) setDialog({ title: t("common.once.title"), answer: once, once: true });
    else if (result.length) setDialog({ title: t(action.title), answer: result, once: false });
    else { setDialog(null); toast(t("common.done")); }
  };
  const trigger = (action, row) => {
    // a form with prefill opens with the row's values; a PATCH sends what the user changed,
    // a PUT or POST the whole form
    const changedOnly = !!action.prefill && action.method === "PATCH";
    if (action.form) setDialog({ title: t(action.title), form: action.form, initial: action.prefill ? row : undefined, changedOnly, submit: (body) => run(action, row, asBody(action.form, body)) });
    else if (!action.confirm || confirm(t("common.confirm"))) run(action, row).catch((e) => toast(e.message, "bad"));
  };
  const visible = (action, row) => Object.entries(action.when || {}).every(([field, values]) => values.includes(pick(row, field)));
  const rowActions = page.actions.filter((a) => a.row);
  const topActions = page.actions.filter((a) => !a.row);
  const columns = page.columns.map((c) => ({ title: c.title, field: c.field, kind: c.kind, choices: c.choices }));

  return html`<section class="page plugin-page" data-plugin=${page.plugin}>
    <header class="page-head"><h1>${t(page.title)}</h1>
      ${data ? html`<span class="muted">${t("common.total", { n: data.total })}</span>` : null}
      <div class="spacer"></div>
      ${topActions.map((a) => html`<button class="btn" data-action=${a.key} onClick=${() => trigger(a, {})}>${t(a.title)}</button>`)}
      ${page.create ? html`<button class="btn primary" data-action="create" onClick=${() => setDialog({ title: `${t("common.create")} · ${t(page.title)}`, form: page.create, submit: (body) => run({ method: "POST", path: page.create_path, reveal: page.create_reveal }, {}, body) })}>${t("common.create")}</button>` : null}
    </header>
    ${t(page.description) ? html`<p class="muted">${t(page.description)}</p>` : null}
    ${page.filters ? html`<details class="filters-box"><summary>${t("common.filter")}</summary>
      <${SchemaForm} schema=${page.filters.schema} money=${page.filters.money} submitText=${t("common.search")} idPrefix="filter"
        onSubmit=${async (body) => { setFilters(body); setPageNo(1); }} /></details>` : null}
    ${error ? html`<${Failure} error=${error} />` : !data ? html`<${Loading} />` : html`
      <${Table} label=${t(page.title)} columns=${columns} rows=${data.items}
        actions=${rowActions.length ? (row) => rowActions.filter((a) => visible(a, row)).map((a) => html`<button class="btn small" data-action=${a.key} onClick=${() => trigger(a, row)}>${t(a.title)}</button>`) : null} />
      <${Pager} page=${pageNo} pages=${data.pages} onPage=${setPageNo} />`}
    ${dialog && dialog.answer ? html`<${Modal} title=${dialog.title} onClose=${() => setDialog(null)}>
      <div class="form reveal">${dialog.once ? html`<p class="alert">${t("common.once.note")}</p>` : null}
        ${dialog.answer.map((c) => html`<div class="field"><label for=${`reveal-${c.field}`}>${t(c.title)}</label>
          ${dialog.once ? html`<input id=${`reveal-${c.field}`} class="mono" readonly value=${String(c.value)} onFocus=${(e) => e.target.select()} />`
            : html`<textarea id=${`reveal-${c.field}`} readonly rows="4" value=${String(c.value)} />`}</div>`)}
        <div class="buttons"><button class="btn primary" type="button" onClick=${() => setDialog(null)}>${t(dialog.once ? "common.once.close" : "common.close")}</button></div></div>
    </${Modal}>` : null}
    ${dialog && !dialog.answer ? html`<${Modal} title=${dialog.title} onClose=${() => setDialog(null)}>
      <${SchemaForm} schema=${dialog.form.schema} money=${dialog.form.money} initial=${dialog.initial} changedOnly=${dialog.changedOnly} onSubmit=${dialog.submit} idPrefix="plugin" />
    </${Modal}>` : null}
  </section>`;
}
