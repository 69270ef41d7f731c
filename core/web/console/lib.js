// Shared pieces of the console: the REST client, texts in two languages, money and dates,
// and the small components every page uses (tables, pagers, forms built from JSON Schema).
import { html, useState, useEffect, useRef, useCallback } from "/web/vendor/htm-preact-3.1.1.js";
import { TEXTS } from "/console/texts.js";

export { html, useState, useEffect, useRef, useCallback };

// -- language --------------------------------------------------------------------------------
const stored = localStorage.getItem("mallkit.console.lang");
export let LANG = stored || ((navigator.language || "zh").toLowerCase().startsWith("zh") ? "zh" : "en");
document.documentElement.lang = LANG === "zh" ? "zh-CN" : "en";
export function setLang(lang) {
  localStorage.setItem("mallkit.console.lang", lang);
  location.reload();
}
/** A UI text by key ("orders.title"), or a {zh, en} object from the server. */
export function t(key, vars) {
  let text;
  if (key && typeof key === "object") text = key[LANG] || key.zh || key.en || "";
  else text = (TEXTS[LANG] && TEXTS[LANG][key]) || (TEXTS.zh[key]) || key;
  if (vars) for (const [k, v] of Object.entries(vars)) text = text.replace(`{${k}}`, v);
  return text;
}
document.title = t("app.name");

// -- money and time --------------------------------------------------------------------------
/** Fen (integer) → "¥12.30". */
export function yuan(fen) {
  if (fen === null || fen === undefined || fen === "") return "—";
  const n = Number(fen);
  const sign = n < 0 ? "-" : "";
  const abs = Math.abs(n);
  return `${sign}¥${Math.floor(abs / 100).toLocaleString("en-US")}.${String(abs % 100).padStart(2, "0")}`;
}
/** "12.3" (yuan typed by a person) → 1230 fen, exactly (no floating point); NaN when not money. */
export function toFen(text) {
  const s = String(text).trim();
  const m = /^(-?)(\d+)(?:\.(\d{0,2}))?$/.exec(s);
  if (!m) return NaN;
  const fen = Number(m[2]) * 100 + Number((m[3] || "").padEnd(2, "0"));
  return m[1] ? -fen : fen;
}
export function fenToText(fen) {
  if (fen === null || fen === undefined || fen === "") return "";
  const n = Number(fen), abs = Math.abs(n);
  return `${n < 0 ? "-" : ""}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}
export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  const p = (x) => String(x).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

// -- the REST client -------------------------------------------------------------------------
const TOKEN_KEY = "mallkit.console.token";
export const session = {
  get token() { return localStorage.getItem(TOKEN_KEY); },
  set token(value) { value ? localStorage.setItem(TOKEN_KEY, value) : localStorage.removeItem(TOKEN_KEY); },
};

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
    this.errors = (body && body.errors) || {};
  }
}

/** Call the public REST API (``/api/v1`` + path) with the signed-in user's token. Returns the
 * JSON answer; ``{page: true}`` returns ``{items, total}`` from a paginated list. */
export async function api(method, path, body, options = {}) {
  const headers = { Accept: "application/json" };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined && body !== null) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  if (options.idempotent) headers["Idempotency-Key"] = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now();
  const answer = await fetch(`/api/v1${path}`, { method, headers, body: payload });
  if (answer.status === 401 && session.token && !options.noRedirect) {
    session.token = null;
    window.dispatchEvent(new CustomEvent("console:signed-out"));
  }
  const text = await answer.text();
  const data = text ? JSON.parse(text) : null;
  if (!answer.ok) throw new ApiError(answer.status, data);
  if (options.page) {
    const meta = JSON.parse(answer.headers.get("X-Pagination") || "{}");
    return { items: data, total: meta.total ?? (data || []).length, pages: meta.total_pages ?? 1 };
  }
  return data;
}
/** GET a file the API answers — an SVG chart, a CSV export — with the user's token, as a
 * Blob (an ``<img src>`` or a link cannot send the token). Errors throw ``ApiError``. */
export async function getBlob(path) {
  const headers = {};
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  const answer = await fetch(`/api/v1${path}`, { headers });
  if (answer.status === 401 && session.token) {
    session.token = null;
    window.dispatchEvent(new CustomEvent("console:signed-out"));
  }
  if (!answer.ok) {
    let data = null;
    try { data = await answer.json(); } catch { /* not JSON: the status says enough */ }
    throw new ApiError(answer.status, data);
  }
  return answer.blob();
}
/** Save a file the API answers (``getBlob``) as ``filename`` in the browser's downloads. */
export async function download(path, filename) {
  const url = URL.createObjectURL(await getBlob(path));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
const early = new Map();
/** Start a GET now (while the app is still starting); the next ``get`` of it takes the answer. */
export function prefetch(path, options) {
  if (session.token && !early.has(path)) {
    const promise = api("GET", path, undefined, options);
    promise.catch(() => {}); // handled by whoever takes it
    early.set(path, promise);
  }
}
export const get = (path, options) => {
  if (early.has(path)) {
    const promise = early.get(path);
    early.delete(path);
    return promise;
  }
  return api("GET", path, undefined, options);
};

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

// -- navigation ------------------------------------------------------------------------------
export function go(path) {
  history.pushState(null, "", path);
  window.dispatchEvent(new PopStateEvent("popstate"));
}
export function Link({ href, children, ...rest }) {
  const click = (e) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    go(href);
  };
  return html`<a href=${href} onClick=${click} ...${rest}>${children}</a>`;
}

// -- toasts ----------------------------------------------------------------------------------
export function toast(message, kind = "ok") {
  window.dispatchEvent(new CustomEvent("console:toast", { detail: { message, kind } }));
}
export function Toasts() {
  const [items, setItems] = useState([]);
  useEffect(() => {
    const add = (e) => {
      const item = { id: Math.random(), ...e.detail };
      setItems((xs) => [...xs, item]);
      setTimeout(() => setItems((xs) => xs.filter((x) => x !== item)), 4000);
    };
    window.addEventListener("console:toast", add);
    return () => window.removeEventListener("console:toast", add);
  }, []);
  return html`<div class="toasts" role="status" aria-live="polite">
    ${items.map((x) => html`<div class=${`toast ${x.kind}`} key=${x.id}>${x.message}</div>`)}
  </div>`;
}

/** Load data for a page: ``[data, error, reload]``. */
export function useLoad(loader, deps) {
  const [state, setState] = useState({ data: null, error: null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    loader().then(
      (data) => live && setState({ data, error: null }),
      (error) => live && setState({ data: null, error }),
    );
    return () => { live = false; };
  }, [...deps, tick]);
  return [state.data, state.error, () => setTick((x) => x + 1)];
}

// -- small components ------------------------------------------------------------------------
export function Loading() { return html`<div class="loading" role="status">${t("common.loading")}</div>`; }
export function Failure({ error }) {
  const text = error.status === 403 || error.status === 404 ? t("common.forbidden") : error.message;
  return html`<div class="alert error" role="alert">${text}</div>`;
}
export function Empty({ children }) { return html`<div class="empty">${children || t("common.empty")}</div>`; }

/** The name of a code in the console's language: from ``choices`` ({value: {zh, en}}: a
 * column's ``choices``, a form field's ``x-choices``), else the shared ``status.<value>``
 * text, else the code itself. */
export function choiceName(value, choices) {
  if (choices && value !== null && value !== undefined && choices[value]) return t(choices[value]);
  const known = t(`status.${value}`);
  return known === `status.${value}` ? value : known;
}

export function Badge({ value, kind, choices }) {
  const cls = kind || ({
    pending_payment: "warn", paid: "info", shipped: "info", partially_shipped: "info",
    completed: "ok", cancelled: "mute", closed: "mute", failed: "bad", active: "ok",
    pending: "warn", approved: "ok", rejected: "bad", done: "ok", running: "info",
    sent: "ok", skipped: "mute",
  }[value] || "");
  return html`<span class=${`badge ${cls}`}>${choiceName(value, choices)}</span>`;
}

export function Pager({ page, pages, onPage }) {
  if (!pages || pages <= 1) return null;
  return html`<nav class="pager" aria-label=${t("common.pages")}>
    <button class="btn small" disabled=${page <= 1} onClick=${() => onPage(page - 1)}>‹ ${t("common.prev")}</button>
    <span>${page} / ${pages}</span>
    <button class="btn small" disabled=${page >= pages} onClick=${() => onPage(page + 1)}>${t("common.next")} ›</button>
  </nav>`;
}

export function Modal({ title, onClose, children, wide }) {
  useEffect(() => {
    const key = (e) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", key);
    return () => window.removeEventListener("keydown", key);
  }, []);
  return html`<div class="modal-back" onClick=${(e) => e.target === e.currentTarget && onClose()}>
    <div class=${`modal ${wide ? "wide" : ""}`} role="dialog" aria-modal="true" aria-label=${title}>
      <header><h2>${title}</h2><button class="icon" aria-label=${t("common.close")} onClick=${onClose}>×</button></header>
      <div class="modal-body">${children}</div>
    </div>
  </div>`;
}

/** A value from a row by dotted path ("buyer.name"). */
export function pick(row, path) {
  return path.split(".").reduce((v, k) => (v === null || v === undefined ? v : v[k]), row);
}

/** A cell of ``kind``; ``choices`` ({value: {zh, en}}) name the codes of a text or status cell. */
export function Cell({ value, kind, choices }) {
  if (kind === "money") return html`<span class="num">${yuan(value)}</span>`;
  if (kind === "datetime") return when(value);
  if (kind === "date") return value || "—";
  if (kind === "bool") return value ? "✓" : "—";
  if (kind === "number") return html`<span class="num">${value ?? "—"}</span>`;
  if (kind === "percent") return value === null || value === undefined ? "—" : `${(value / 100).toFixed(2)}%`;
  if (kind === "status") return html`<${Badge} value=${value} choices=${choices} />`;
  if (kind === "json") return html`<code class="json">${JSON.stringify(value)}</code>`;
  // a text cell names its codes by the column's choices only (a tag "new" is not 新投诉)
  const named = (v) => (choices && choices[v] ? t(choices[v]) : String(v));
  if (Array.isArray(value)) return value.map((v) => (typeof v === "object" ? v.name ?? JSON.stringify(v) : named(v))).join(", ");
  if (value && typeof value === "object") return html`<code class="json">${JSON.stringify(value)}</code>`;
  if (value === null || value === undefined || value === "") return "—";
  return named(value);
}

/** A table: ``columns`` are ``{field, title, kind, choices, render}``. */
export function Table({ columns, rows, actions, label }) {
  if (!rows || !rows.length) return html`<${Empty} />`;
  return html`<div class="table-wrap"><table aria-label=${label}>
    <thead><tr>${columns.map((c) => html`<th class=${c.kind === "money" || c.kind === "number" ? "num" : ""}>${t(c.title)}</th>`)}
      ${actions ? html`<th class="actions">${t("common.actions")}</th>` : null}</tr></thead>
    <tbody>${rows.map((row, i) => html`<tr key=${row.id ?? i}>
      ${columns.map((c) => html`<td data-label=${t(c.title)} class=${c.kind === "money" || c.kind === "number" ? "num" : ""}>${c.render ? c.render(row) : html`<${Cell} value=${pick(row, c.field)} kind=${c.kind} choices=${c.choices} />`}</td>`)}
      ${actions ? html`<td class="actions">${actions(row)}</td>` : null}
    </tr>`)}</tbody>
  </table></div>`;
}

// -- forms from JSON Schema ------------------------------------------------------------------
/** A field's label: the page's own (``labels``: name → text key or {zh, en}), else the
 * schema's ``x-label`` (metadata ``label``/``label_zh``) in the page's language, else the
 * known text ``field.<name>``, else the JSON Schema ``title``, else the name itself. */
function fieldLabel(name, prop, labels) {
  if (labels && labels[name]) return t(labels[name]);
  if (prop["x-label"]) return t(prop["x-label"]);
  const known = t(`field.${name}`);
  return known === `field.${name}` ? (prop.title || name) : known;
}

/** ``value`` in the shape ``prop`` describes: objects keep only the keys it lists, at every
 * depth (a row read from a list answer carries output-only keys a form must not send back). */
function conform(prop, value) {
  if (!prop || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return prop.items ? value.map((v) => conform(prop.items, v)) : value;
  if (!prop.properties) return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k in prop.properties).map(([k, v]) => [k, conform(prop.properties[k], v)]));
}

/** Initial form values from a schema, existing values and the money fields (shown in yuan). */
export function formValues(schema, values, money) {
  const out = {};
  for (const [name, prop] of Object.entries(schema.properties || {})) {
    let v = values && name in values ? conform(prop, values[name]) : prop.default;
    if ((money || []).includes(name)) v = fenToText(v);
    else if (prop.format === "date-time" && v) v = localInput(v);
    else if (prop.type === "array" || prop.type === "object") v = v === undefined ? "" : JSON.stringify(v);
    out[name] = v === undefined || v === null ? (prop.type === "boolean" ? false : "") : v;
  }
  return out;
}

/** An ISO time → the value of a datetime-local input (local time). */
function localInput(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const p = (x) => String(x).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Form values back to the JSON the API takes; ``{errors}`` for what cannot be converted. */
export function formPayload(schema, values, money, { keepEmpty = false } = {}) {
  const body = {}, errors = {};
  for (const [name, prop] of Object.entries(schema.properties || {})) {
    if (prop.readOnly) continue;
    let v = values[name];
    const type = Array.isArray(prop.type) ? prop.type.find((x) => x !== "null") : prop.type;
    const nullable = prop.nullable || (Array.isArray(prop.type) && prop.type.includes("null"));
    if (v === "" || v === undefined) {
      if (nullable && keepEmpty) body[name] = null;
      else if (type === "string" && keepEmpty) body[name] = "";
      continue;
    }
    if (prop.format === "binary") { body[name] = v; continue; }
    if ((money || []).includes(name)) {
      const fen = toFen(v);
      if (Number.isNaN(fen)) { errors[name] = [t("form.money")]; continue; }
      body[name] = fen;
    } else if (type === "integer" || type === "number") {
      const n = Number(v);
      if (Number.isNaN(n) || (type === "integer" && !Number.isInteger(n))) { errors[name] = [t("form.number")]; continue; }
      body[name] = n;
    } else if (type === "boolean") body[name] = Boolean(v);
    else if (prop.format === "date-time") {
      const d = new Date(v);
      if (Number.isNaN(d.getTime())) { errors[name] = [t("form.date")]; continue; }
      body[name] = d.toISOString();
    }
    else if (type === "array" || type === "object") {
      try { body[name] = JSON.parse(v); } catch { errors[name] = [t("form.json")]; }
    } else body[name] = v;
  }
  return { body, errors };
}

function Errors({ messages }) {
  if (!messages) return null;
  // nested errors (a list of rows, an object) name where they are: "0.regions: …"
  const flat = (v, at) => Array.isArray(v) && v.every((x) => typeof x !== "object") ? [`${at}${v.join(" ")}`]
    : v && typeof v === "object" ? Object.entries(v).flatMap(([k, x]) => flat(x, `${at}${k}${typeof x === "object" && !Array.isArray(x) ? "." : ": "}`))
    : [`${at}${String(v)}`];
  const list = Array.isArray(messages) ? messages : typeof messages === "object" ? flat(messages, "") : [String(messages)];
  return html`<div class="field-error" role="alert">${list.join(" ")}</div>`;
}

/** Inputs for each property of ``schema``; ``errors`` from the API appear beside the fields. */
export function SchemaFields({ schema, values, setValues, errors, money, labels, idPrefix = "f" }) {
  const props = Object.entries(schema.properties || {}).filter(([, p]) => !p.readOnly);
  const required = new Set(schema.required || []);
  const set = (name, v) => setValues({ ...values, [name]: v });
  return props.map(([name, prop]) => {
    const id = `${idPrefix}-${name}`;
    const label = fieldLabel(name, prop, labels);
    const error = errors && errors[name];
    const type = Array.isArray(prop.type) ? prop.type.find((x) => x !== "null") : prop.type;
    const isMoney = (money || []).includes(name);
    let input;
    if (prop.format === "binary") {
      input = html`<input id=${id} name=${name} type="file" onChange=${(e) => set(name, e.target.files[0] || "")} />`;
    } else if (type === "boolean") {
      input = html`<label class="check"><input id=${id} name=${name} type="checkbox" checked=${!!values[name]} onChange=${(e) => set(name, e.target.checked)} /> ${label}</label>`;
    } else if (prop.enum) {
      input = html`<select id=${id} name=${name} value=${values[name]} onChange=${(e) => set(name, e.target.value)}>
        ${required.has(name) ? null : html`<option value="">—</option>`}
        ${prop.enum.filter((x) => x !== null).map((x) => html`<option value=${x}>${choiceName(x, prop["x-choices"])}</option>`)}
      </select>`;
    } else if (type === "array" || type === "object") {
      input = html`<textarea id=${id} name=${name} rows="3" class="mono" value=${values[name]} placeholder=${type === "array" ? "[ ]" : "{ }"} onInput=${(e) => set(name, e.target.value)} />`;
    } else if (prop["x-secret"]) {
      input = html`<input id=${id} name=${name} type="password" autocomplete="new-password" value=${values[name]} onInput=${(e) => set(name, e.target.value)} />`;
    } else if (prop.maxLength && prop.maxLength > 255) {
      input = html`<textarea id=${id} name=${name} rows="3" value=${values[name]} onInput=${(e) => set(name, e.target.value)} />`;
    } else {
      const kind = isMoney ? "text" : type === "integer" || type === "number" ? "number" : prop.format === "date-time" ? "datetime-local" : prop.format === "date" ? "date" : "text";
      input = html`<div class=${isMoney ? "money-input" : ""}>${isMoney ? html`<span>¥</span>` : null}<input id=${id} name=${name} type=${kind} inputmode=${isMoney ? "decimal" : undefined}
        value=${values[name]} min=${prop.minimum} max=${prop.maximum}
        onInput=${(e) => set(name, e.target.value)} aria-invalid=${error ? "true" : "false"} /></div>`;
    }
    return html`<div class=${`field ${error ? "has-error" : ""}`} key=${name}>
      ${type === "boolean" ? null : html`<label for=${id}>${label}${required.has(name) ? html`<span class="req">*</span>` : null}</label>`}
      ${input}
      ${prop["x-description"] || prop.description ? html`<div class="hint">${prop["x-description"] ? t(prop["x-description"]) : prop.description}</div>` : null}
      <${Errors} messages=${error} />
    </div>`;
  });
}

/** A complete form: fields from ``schema``, submit sends ``onSubmit(body)``; API field errors
 * are shown beside their fields, other errors above the buttons. ``initial``: values to start
 * from; ``changedOnly``: send only the fields changed from them (emptied ones as null / ""). */
export function SchemaForm({ schema, initial, money, labels, onSubmit, submitText, keepEmpty, changedOnly, idPrefix }) {
  const [start] = useState(() => formValues(schema, initial, money));
  const [values, setValues] = useState(start);
  const [errors, setErrors] = useState({});
  const [message, setMessage] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    let { body, errors: local } = formPayload(schema, values, money, { keepEmpty: keepEmpty || changedOnly });
    if (changedOnly) {  // only what the user changed: an emptied field goes as null / ""
      const changed = (k) => values[k] !== start[k];
      body = Object.fromEntries(Object.entries(body).filter(([k]) => changed(k)));
      local = Object.fromEntries(Object.entries(local).filter(([k]) => changed(k)));
    }
    if (Object.keys(local).length) { setErrors(local); return; }
    setBusy(true); setErrors({}); setMessage("");
    try {
      await onSubmit(body);
    } catch (error) {
      if (error instanceof ApiError) {
        const known = Object.keys(schema.properties || {});
        const fieldErrors = {};
        let rest = [];
        for (const [k, v] of Object.entries(error.errors || {})) {
          if (known.includes(k)) fieldErrors[k] = v;
          else rest.push(`${k}: ${JSON.stringify(v)}`);
        }
        setErrors(fieldErrors);
        setMessage([error.message, ...rest].join(" "));
      } else setMessage(String(error));
    } finally { setBusy(false); }
  };
  return html`<form class="form" onSubmit=${submit} noValidate>
    <${SchemaFields} schema=${schema} values=${values} setValues=${setValues} errors=${errors} money=${money} labels=${labels} idPrefix=${idPrefix} />
    ${message ? html`<div class="alert error" role="alert">${message}</div>` : null}
    <div class="buttons"><button class="btn primary" type="submit" disabled=${busy}>${submitText || t("common.save")}</button></div>
  </form>`;
}
