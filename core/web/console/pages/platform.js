// The platform console: merchants (create, suspend), their plugins and settings, failed
// tasks, the audit log. Plugin pages (complaint arbitration, withdrawal review) come from the
// plugins through register_console_pages.
import {
  html, useState, get, api, t, Table, Loading, Failure, Modal, SchemaForm, useLoad, toast, Pager, query, Link, Badge,
} from "/console/lib.js";
import { PluginList, PluginConfigForm, AuditLog, pluginTitle } from "/console/pages/settings.js";

const MERCHANT_IN = {
  type: "object", required: ["name"],
  properties: {
    name: { type: "string", minLength: 1, maxLength: 100 }, owner_login: { type: "string", maxLength: 254 },
    contact_name: { type: "string", maxLength: 100 }, contact_phone: { type: "string", maxLength: 32 },
    address: { type: "string", maxLength: 255 },
  },
};

export function Merchants({ rest, base }) {
  if (rest && rest[0] && rest[1] === "plugins") return html`<${MerchantPlugins} merchantId=${Number(rest[0])} base=${base} />`;
  const [page, setPage] = useState(1);
  const [data, error, reload] = useLoad(() => get(`/admin/merchants${query({ page, page_size: 20 })}`, { page: true }), [page]);
  const [creating, setCreating] = useState(false);
  const setActive = async (m, active) => {
    if (!active && !confirm(t("common.confirm"))) return;
    await api("PATCH", `/admin/merchants/${m.id}`, { is_active: active });
    toast(t("common.saved"));
    reload();
  };
  return html`<section class="page">
    <header class="page-head"><h1>${t("merchants.title")}</h1>${data ? html`<span class="muted">${t("common.total", { n: data.total })}</span>` : null}
      <div class="spacer"></div><button class="btn primary" data-action="create-merchant" onClick=${() => setCreating(true)}>${t("merchants.new")}</button></header>
    ${error ? html`<${Failure} error=${error} />` : !data ? html`<${Loading} />` : html`
      <${Table} label=${t("merchants.title")} rows=${data.items} columns=${[
        { title: "ID", field: "id", kind: "number" },
        { title: "field.name", render: (m) => html`<${Link} href=${`/console/m/${m.id}/dashboard`}>${m.name}</${Link}>` },
        { title: "field.contact_phone", field: "contact_phone" },
        { title: "field.status", render: (m) => html`<${Badge} value=${m.is_active ? t("merchants.active") : t("merchants.suspended")} kind=${m.is_active ? "ok" : "bad"} />` },
      ]} actions=${(m) => html`
        <${Link} class="btn small" href=${`${base}/merchants/${m.id}/plugins`} data-action="merchant-plugins">${t("merchants.plugins")}</${Link}>
        <button class="btn small ${m.is_active ? "danger" : ""}" data-action=${m.is_active ? "suspend" : "resume"} onClick=${() => setActive(m, !m.is_active)}>${m.is_active ? t("merchants.suspend") : t("merchants.resume")}</button>`} />
      <${Pager} page=${page} pages=${data.pages} onPage=${setPage} />`}
    ${creating ? html`<${Modal} title=${t("merchants.new")} onClose=${() => setCreating(false)}>
      <${SchemaForm} schema=${MERCHANT_IN} idPrefix="merchant"
        onSubmit=${async (body) => { await api("POST", "/admin/merchants", body); setCreating(false); toast(t("common.saved")); reload(); }} />
    </${Modal}>` : null}
  </section>`;
}

function MerchantPlugins({ merchantId, base }) {
  const [merchant] = useLoad(() => get(`/admin/merchants/${merchantId}`), [merchantId]);
  const [plugins, error, reload] = useLoad(() => get(`/admin/merchants/${merchantId}/plugins`), [merchantId]);
  const [dialog, setDialog] = useState(null);
  if (error) return html`<${Failure} error=${error} />`;
  if (!plugins) return html`<${Loading} />`;
  const toggle = async (p) => {
    if (p.enabled) {
      try { await api("POST", `/admin/merchants/${merchantId}/plugins/${p.name}/disable`); toast(t("common.saved")); }
      catch (e) { toast(e.message, "bad"); }
      reload();
    } else setDialog({ plugin: p, enable: true });
  };
  const save = async (config) => {
    const p = dialog.plugin;
    if (dialog.enable) await api("POST", `/admin/merchants/${merchantId}/plugins/${p.name}/enable`, { config });
    else await api("PUT", `/merchants/${merchantId}/plugins/${p.name}/config`, { config });
    setDialog(null);
    toast(t("common.saved"));
    reload();
  };
  return html`<section class="page">
    <header class="page-head"><${Link} href=${`${base}/merchants`} class="back">‹ ${t("merchants.title")}</${Link}>
      <h1>${merchant ? merchant.name : `#${merchantId}`} · ${t("merchants.plugins")}</h1></header>
    <${PluginList} plugins=${plugins.filter((p) => p.level !== "platform")} canToggle=${true}
      onConfigure=${(p) => setDialog({ plugin: p, enable: false })} onToggle=${toggle} />
    ${dialog ? html`<${Modal} title=${`${dialog.enable ? t("plugins.enable") : t("plugins.config")} · ${pluginTitle(dialog.plugin)}`} onClose=${() => setDialog(null)}>
      <${PluginConfigForm} plugin=${dialog.plugin} onSave=${save} submitText=${dialog.enable ? t("plugins.enable") : t("common.save")} />
    </${Modal}>` : null}
  </section>`;
}

export function Tasks() {
  const [status, setStatus] = useState("failed");
  const [page, setPage] = useState(1);
  const [data, error, reload] = useLoad(() => get(`/admin/tasks${query({ status, page, page_size: 30 })}`, { page: true }), [status, page]);
  const retry = async (task) => {
    try { await api("POST", `/admin/tasks/${task.id}/retry`); toast(t("common.done")); }
    catch (e) { toast(e.message, "bad"); }
    reload();
  };
  return html`<section class="page">
    <header class="page-head"><h1>${t("tasks.title")}</h1>${data ? html`<span class="muted">${t("common.total", { n: data.total })}</span>` : null}</header>
    <div class="tabs" role="tablist">${["failed", "pending", "running", "done", ""].map((s) => html`
      <button role="tab" aria-selected=${status === s} class=${status === s ? "tab active" : "tab"} onClick=${() => { setStatus(s); setPage(1); }}>${s ? t(`status.${s}`) : t("common.all")}</button>`)}</div>
    ${error ? html`<${Failure} error=${error} />` : !data ? html`<${Loading} />` : html`
      <${Table} label=${t("tasks.title")} rows=${data.items} columns=${[
        { title: "ID", field: "id", kind: "number" }, { title: "tasks.kind", render: (x) => html`<span class="mono">${x.kind}</span>` },
        { title: "nav.merchants", render: (x) => (x.merchant_id ? `#${x.merchant_id}` : "—") },
        { title: "field.status", field: "status", kind: "status" }, { title: "tasks.attempts", field: "attempts", kind: "number" },
        { title: "stock.when", field: "run_at", kind: "datetime" },
        { title: "tasks.error", render: (x) => html`<span class="ellipsis" title=${x.last_error}>${x.last_error || "—"}</span>` },
      ]} actions=${(x) => (x.status === "failed" ? html`<button class="btn small" onClick=${() => retry(x)}>${t("tasks.retry")}</button>` : null)} />
      <${Pager} page=${page} pages=${data.pages} onPage=${setPage} />`}
  </section>`;
}

export function PlatformAudit() {
  return html`<${AuditLog} path="/admin/audit-log" merchantFilter=${true} />`;
}
