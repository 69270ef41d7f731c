// The store's plugins and their settings forms, staff, store settings and the audit log.
import {
  html, useState, get, api, t, when, Table, Loading, Failure, Modal, SchemaForm, useLoad, toast, Badge, Pager, query,
} from "/console/lib.js";

export const MASK = "********";

/** A plugin's settings form, generated from its config schema (JSON Schema). Secret fields show
 * the mask and keep their saved value when left as they are; field errors appear beside fields. */
export function PluginConfigForm({ plugin, onSave, submitText }) {
  if (!plugin.config_schema || !Object.keys(plugin.config_schema.properties || {}).length) {
    return html`<div class="form"><p class="muted">${t("plugins.noconfig")}</p>
      ${submitText ? html`<div class="buttons"><button class="btn primary" onClick=${() => onSave({})}>${submitText}</button></div>` : null}</div>`;
  }
  const schema = plugin.config_schema;
  const secrets = new Set(plugin.secret_fields || []);
  // secrets: the masked value stands for "keep what is saved" (said after the field's own
  // hint, in the page's language when the hint has both)
  const kept = (p) => ({ ...p, "x-description": undefined, description: [p["x-description"] ? t(p["x-description"]) : p.description, t("plugins.secretKept")].filter(Boolean).join(" · ") });
  const decorated = { ...schema, properties: Object.fromEntries(Object.entries(schema.properties).map(([k, p]) => [k, secrets.has(k) ? kept(p) : p])) };
  return html`<${SchemaForm} schema=${decorated} initial=${plugin.config} submitText=${submitText}
    idPrefix=${`cfg-${plugin.name}`} onSubmit=${onSave} keepEmpty=${false} />`;
}

/** A plugin's title and description in the console's language. */
export const pluginTitle = (p) => t({ zh: p.title_zh || p.title, en: p.title });
const pluginDescription = (p) => t({ zh: p.description_zh || p.description, en: p.description });

export function PluginList({ plugins, onConfigure, onToggle, canToggle }) {
  return html`<${Table} label=${t("plugins.title")} rows=${plugins} columns=${[
    { title: "field.name", render: (p) => html`<strong>${pluginTitle(p)}</strong> <span class="muted mono">${p.name} ${p.version}</span><div class="muted">${pluginDescription(p)}</div>` },
    { title: "field.status", render: (p) => (p.level === "platform" ? html`<${Badge} value=${t("plugins.platformLevel")} kind="mute" />` : html`<span class="badge ${p.enabled ? "ok" : "mute"}" data-enabled=${p.enabled}>${p.enabled ? t("plugins.enabled") : t("plugins.disabled")}</span>`) },
  ]} actions=${(p) => html`
    ${p.level !== "platform" && p.enabled && p.config_schema ? html`<button class="btn small" data-action="configure" data-plugin=${p.name} onClick=${() => onConfigure(p)}>${t("plugins.config")}</button>` : null}
    ${canToggle && p.level !== "platform" ? html`<button class="btn small" data-action=${p.enabled ? "disable" : "enable"} data-plugin=${p.name} onClick=${() => onToggle(p)}>${p.enabled ? t("plugins.disable") : t("plugins.enable")}</button>` : null}`} />`;
}

export function Plugins({ merchantId }) {
  const [plugins, error, reload] = useLoad(() => get(`/merchants/${merchantId}/plugins`), [merchantId]);
  const [editing, setEditing] = useState(null);
  if (error) return html`<${Failure} error=${error} />`;
  if (!plugins) return html`<${Loading} />`;
  const save = async (config) => {
    await api("PUT", `/merchants/${merchantId}/plugins/${editing.name}/config`, { config });
    setEditing(null);
    toast(t("common.saved"));
    reload();
  };
  const shown = plugins.filter((p) => p.level !== "platform");
  return html`<section class="page">
    <header class="page-head"><h1>${t("plugins.title")}</h1></header>
    <${PluginList} plugins=${shown} onConfigure=${setEditing} />
    ${editing ? html`<${Modal} title=${`${t("plugins.config")} · ${pluginTitle(editing)}`} onClose=${() => setEditing(null)}>
      <${PluginConfigForm} plugin=${editing} onSave=${save} />
    </${Modal}>` : null}
  </section>`;
}

const STAFF_IN = { type: "object", required: ["login", "role"], properties: { login: { type: "string", maxLength: 254 }, role: { type: "string", enum: ["manager", "agent", "owner"] } } };

export function Staff({ merchantId, me }) {
  const [staff, error, reload] = useLoad(() => get(`/merchants/${merchantId}/staff`), [merchantId]);
  const [adding, setAdding] = useState(false);
  if (error) return html`<${Failure} error=${error} />`;
  if (!staff) return html`<${Loading} />`;
  const setRole = async (member, role) => {
    try { await api("PATCH", `/merchants/${merchantId}/staff/${member.user_id}`, { role }); toast(t("common.saved")); }
    catch (e) { toast(e.message, "bad"); }
    reload();
  };
  const remove = async (member) => {
    if (!confirm(t("common.confirm"))) return;
    try { await api("DELETE", `/merchants/${merchantId}/staff/${member.user_id}`); toast(t("common.done")); }
    catch (e) { toast(e.message, "bad"); }
    reload();
  };
  return html`<section class="page">
    <header class="page-head"><h1>${t("staff.title")}</h1><div class="spacer"></div>
      <button class="btn primary" data-action="add-staff" onClick=${() => setAdding(true)}>${t("staff.add")}</button></header>
    <${Table} label=${t("staff.title")} rows=${staff} columns=${[
      { title: "staff.name", field: "name" }, { title: "field.contact_email", field: "email" }, { title: "field.contact_phone", field: "phone" },
      { title: "common.role", render: (s) => html`<select aria-label=${t("common.role")} value=${s.role} disabled=${s.user_id === me.id} onChange=${(e) => setRole(s, e.target.value)}>
        ${["owner", "manager", "agent"].map((r) => html`<option value=${r}>${t(`status.${r}`)}</option>`)}</select>` },
    ]} actions=${(s) => (s.user_id === me.id ? null : html`<button class="btn small danger" onClick=${() => remove(s)}>${t("staff.remove")}</button>`)} />
    ${adding ? html`<${Modal} title=${t("staff.add")} onClose=${() => setAdding(false)}>
      <${SchemaForm} schema=${STAFF_IN} initial=${{ role: "agent" }} labels=${{ login: "staff.login", role: "common.role" }} idPrefix="staff"
        onSubmit=${async (body) => { await api("POST", `/merchants/${merchantId}/staff`, body); setAdding(false); toast(t("common.saved")); reload(); }} />
    </${Modal}>` : null}
  </section>`;
}

const STORE = {
  type: "object", required: ["name"],
  properties: {
    name: { type: "string", minLength: 1, maxLength: 100 }, contact_name: { type: "string", maxLength: 100 },
    contact_phone: { type: "string", maxLength: 32 }, contact_email: { type: "string", maxLength: 254 },
    address: { type: "string", maxLength: 255 }, logo_url: { type: "string", maxLength: 500 },
    description: { type: "string", maxLength: 5000 }, timezone: { type: "string", maxLength: 64 },
  },
};

export function StoreSettings({ merchantId, role }) {
  const [store, error] = useLoad(() => get(`/merchants/${merchantId}/settings`), [merchantId]);
  const [catalog] = useLoad(() => get(`/merchants/${merchantId}/catalog-settings`).catch(() => null), [merchantId]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!store) return html`<${Loading} />`;
  const initial = Object.fromEntries(Object.entries(store).filter(([k, v]) => k in STORE.properties && v !== ""));
  return html`<section class="page">
    <header class="page-head"><h1>${t("settings.title")}</h1></header>
    <div class="card">
      <${SchemaForm} schema=${STORE} initial=${initial} idPrefix="store"
        onSubmit=${async (body) => { await api("PATCH", `/merchants/${merchantId}/settings`, body); toast(t("common.saved")); }} />
    </div>
    ${catalog ? html`<div class="card"><h2>${t("stock.alerts")}</h2>
      <${SchemaForm} schema=${{ type: "object", required: ["low_stock_threshold"], properties: { low_stock_threshold: { type: "integer", minimum: 0 } } }}
        initial=${catalog} labels=${{ low_stock_threshold: "stock.threshold" }} idPrefix="catalog"
        onSubmit=${async (body) => { await api("PUT", `/merchants/${merchantId}/catalog-settings`, body); toast(t("common.saved")); }} />
    </div>` : null}
  </section>`;
}

/** The audit log (the store's or, with ``platform``, the whole platform's). */
export function AuditLog({ path, merchantFilter }) {
  const [page, setPage] = useState(1);
  const [action, setAction] = useState("");
  const [data, error] = useLoad(() => get(`${path}${query({ page, page_size: 30, action })}`, { page: true }), [path, page, action]);
  return html`<section class="page">
    <header class="page-head"><h1>${t("audit.title")}</h1>${data ? html`<span class="muted">${t("common.total", { n: data.total })}</span>` : null}</header>
    <form class="filters" onSubmit=${(e) => { e.preventDefault(); setAction(e.target.action.value); setPage(1); }}>
      <input name="action" aria-label=${t("audit.action")} placeholder=${t("audit.action")} />
      <button class="btn">${t("common.filter")}</button>
    </form>
    ${error ? html`<${Failure} error=${error} />` : !data ? html`<${Loading} />` : html`
      <${Table} label=${t("audit.title")} rows=${data.items} columns=${[
        { title: "audit.at", field: "at", kind: "datetime" },
        { title: "audit.action", render: (r) => html`<span class="mono">${r.action}</span>` },
        { title: "audit.actor", render: (r) => (r.actor_id ? `#${r.actor_id}` : "system") },
        ...(merchantFilter ? [{ title: "nav.merchants", render: (r) => (r.merchant_id ? `#${r.merchant_id}` : "—") }] : []),
        { title: "audit.target", render: (r) => `${r.target_type} ${r.target_id}` },
        { title: "audit.change", render: (r) => html`<code class="json" title=${JSON.stringify(r.after)}>${JSON.stringify(r.after)}</code>` },
      ]} />
      <${Pager} page=${page} pages=${data.pages} onPage=${setPage} />`}
  </section>`;
}

export function Audit({ merchantId }) {
  return html`<${AuditLog} path=${`/merchants/${merchantId}/audit-log`} />`;
}
