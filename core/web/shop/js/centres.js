// The member centre (level, points, sign-in, balance), the promoter centre (team, earnings,
// share link and poster), chat with the store and the notifications inbox.
import {
  Empty, Header, Loading, Price, api, get, html, post, problem, query, t, toast, token, useEffect,
  useLoad, useState, when,
} from "./lib.js";

const DEMO_STORE = 1;

// -- member centre -------------------------------------------------------------------------

export function MemberCentre() {
  const store = query().get("store") || DEMO_STORE;
  const [data, error, reload] = useLoad(async () => {
    const [me, points] = await Promise.all([
      get(`/merchants/${store}/membership/me`),
      get(`/merchants/${store}/membership/me/points?page_size=10`).catch(() => []),
    ]);
    return { me, points };
  });
  if (!data) return html`<div class="page"><${Header} title=${t("me.member")} /><${Loading} error=${error} /></div>`;
  const { me, points } = data;
  const next = me.next_level;
  const progress = next ? Math.min(100, Math.round((100 * me.growth) / next.threshold)) : 100;
  const signIn = async () => {
    try {
      await post(`/merchants/${store}/membership/me/sign-in`);
      toast(t("member.signed"));
      reload();
    } catch (e) {
      toast(problem(e));
    }
  };
  return html`<div class="page member">
    <${Header} title=${t("me.member")} />
    <section class="card level-card">
      <div class="level-name">${me.level ? me.level.name : t("member.none")}</div>
      ${me.level && me.level.discount_percent
        ? html`<div class="small">${t("member.discount", { n: 100 - me.level.discount_percent })}</div>`
        : null}
      <div class="progress light"><span style=${`width:${progress}%`}></span></div>
      <div class="small">${next ? t("member.to_next", { n: me.growth_to_next, name: next.name }) : t("member.top")}</div>
    </section>
    <section class="card stats">
      <div><div class="big">${me.points}</div><div class="muted small">${t("member.points")}</div></div>
      <div><div class="big"><${Price} fen=${me.balance} /></div><div class="muted small">${t("member.balance")}</div></div>
      <div><div class="big">${me.sign_streak}</div><div class="muted small">${t("member.streak")}</div></div>
    </section>
    <div class="pad">
      <button type="button" class="btn wide" disabled=${me.signed_today} onClick=${signIn}>
        ${me.signed_today ? t("member.signed_today") : t("member.sign_in")}
      </button>
    </div>
    <h2 class="section-title">${t("member.ledger")}</h2>
    <section class="card">
      ${points.length
        ? points.map((p) => html`<div class="row ledger-row"><span>${ledgerText(p)}<br /><span class="muted small">${when(p.created_at)}</span></span>
            <span class=${p.delta > 0 ? "price" : ""}>${p.delta > 0 ? "+" : ""}${p.delta}</span></div>`)
        : html`<p class="muted">${t("member.no_points")}</p>`}
    </section>
  </div>`;
}

/** A points-ledger entry in the page's language, from its kind: the reason the server keeps
 * ("sign-in day 3", "order …") is a note in English; only an adjustment's, typed by the
 * store, is shown (as typed). A kind this page does not know shows its reason. */
function ledgerText(p) {
  const key = `member.points.${p.kind}`;
  const label = t(key);
  if (label === key) return p.reason || p.kind;
  return p.kind === "adjust" && p.reason ? `${label} · ${p.reason}` : label;
}

// -- promoter centre -----------------------------------------------------------------------

function Poster({ store }) {
  // the poster needs the buyer's token, so it is fetched, not linked
  const [src] = useLoad(async () => {
    const answer = await fetch(`/api/v1/merchants/${store}/distribution/me/poster.svg`, {
      headers: { Authorization: `Bearer ${token()}` },
    });
    if (!answer.ok) return null;
    // a data: URL, which the pages' Content-Security-Policy allows for images (blob: it does not)
    const blob = await answer.blob();
    return new Promise((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => resolve(null);
      reader.readAsDataURL(blob);
    });
  }, [store]);
  if (!src) return null;
  return html`<img class="poster" src=${src} alt=${t("promoter.poster")} />`;
}

export function PromoterCentre() {
  const store = query().get("store") || DEMO_STORE;
  const [data, error, reload] = useLoad(async () => {
    const me = await get(`/merchants/${store}/distribution/me`);
    if (!me.promoter) return { me };
    const [team, commissions] = await Promise.all([
      get(`/merchants/${store}/distribution/me/team`),
      get(`/merchants/${store}/distribution/me/commissions?page_size=10`).catch(() => []),
    ]);
    return { me, team, commissions };
  });
  const [share, setShare] = useState(null);
  const [form, setForm] = useState({});
  if (!data) return html`<div class="page"><${Header} title=${t("me.promoter")} /><${Loading} error=${error} /></div>`;
  const { me, team, commissions } = data;
  const act = async (call, done) => {
    try {
      await call();
      toast(done);
      reload();
    } catch (e) {
      toast(problem(e));
    }
  };
  if (!me.promoter) {
    return html`<div class="page">
      <${Header} title=${t("me.promoter")} />
      <section class="card form">
        <p>${t("promoter.join_why")}</p>
        ${me.application && me.application.status === "pending"
          ? html`<p class="hint">${t("promoter.pending")}</p>`
          : me.mode === "apply"
            ? html`${me.application_fields.map((f) => html`<label class="field"><span>${f.label}</span>
                  <input name=${f.name} onInput=${(e) => setForm({ ...form, [f.name]: e.target.value })} /></label>`)}
                <button type="button" class="btn wide" onClick=${() => act(() => post(`/merchants/${store}/distribution/applications`, { fields: form }), t("promoter.applied"))}>${t("promoter.apply")}</button>`
            : html`<button type="button" class="btn wide" onClick=${() => act(() => post(`/merchants/${store}/distribution/me`), t("promoter.joined"))}>${t("promoter.join")}</button>`}
      </section>
    </div>`;
  }
  const e = me.earnings;
  const makeShare = async () => {
    try {
      setShare(await post(`/merchants/${store}/distribution/me/shares`, { kind: "store", channel: "link" }));
    } catch (err) {
      toast(problem(err));
    }
  };
  return html`<div class="page promoter">
    <${Header} title=${t("me.promoter")} />
    <section class="card level-card">
      <div class="small">${t("promoter.code")} <strong class="promoter-code">${me.promoter.code}</strong></div>
      <div class="big"><${Price} fen=${e.total} /></div>
      <div class="small">${t("promoter.total")}</div>
    </section>
    <section class="card stats">
      <div><div><${Price} fen=${e.today} /></div><div class="muted small">${t("promoter.today")}</div></div>
      <div><div><${Price} fen=${e.frozen} /></div><div class="muted small">${t("promoter.frozen")}</div></div>
      <div><div><${Price} fen=${e.withdrawable} /></div><div class="muted small">${t("promoter.withdrawable")}</div></div>
    </section>
    <section class="card stats">
      <div><div class="big">${team.level1}</div><div class="muted small">${t("promoter.team1")}</div></div>
      <div><div class="big">${team.level2}</div><div class="muted small">${t("promoter.team2")}</div></div>
    </section>
    <section class="card center">
      <button type="button" class="btn wide" onClick=${makeShare}>${t("promoter.share")}</button>
      ${share ? html`<input class="share-url" readonly value=${share.url} onFocus=${(ev) => ev.target.select()} />` : null}
      ${share ? html`<${Poster} store=${store} />` : null}
    </section>
    <h2 class="section-title">${t("promoter.commissions")}</h2>
    <section class="card">
      ${(commissions || []).length
        ? commissions.map((c) => html`<div class="row ledger-row"><span>${t("orders.number", { n: c.order_id })} · L${c.level}<br /><span class="muted small">${c.status}</span></span><${Price} fen=${c.amount} /></div>`)
        : html`<p class="muted">${t("promoter.none")}</p>`}
    </section>
  </div>`;
}

// -- chat with the store -------------------------------------------------------------------

export function Chat({ merchantId }) {
  const params = query();
  const [conversation, error] = useLoad(() => post(`/merchants/${merchantId}/livechat/conversation`), [merchantId]);
  const [messages, setMessages] = useState([]);
  const [text, setText] = useState("");
  const load = async (id) => {
    const history = await get(`/merchants/${merchantId}/livechat/conversations/${id}/messages?limit=50`);
    const items = [...history.items].sort((a, b) => a.seq - b.seq);
    setMessages(items);
    const last = items[items.length - 1];
    if (last) post(`/merchants/${merchantId}/livechat/conversations/${id}/read`, { up_to: last.seq }).catch(() => null);
  };
  useEffect(() => {
    if (!conversation) return;
    load(conversation.id).catch(() => null);
    // new answers arrive by polling here; apps may use the WebSocket (docs/plugins/livechat.md)
    const timer = setInterval(() => load(conversation.id).catch(() => null), 3000);
    return () => clearInterval(timer);
  }, [conversation && conversation.id]);
  const send = async (body) => {
    try {
      await post(`/merchants/${merchantId}/livechat/conversations/${conversation.id}/messages`, {
        ...body,
        client_id: crypto.getRandomValues(new Uint32Array(2)).join("-"),
      });
      await load(conversation.id);
    } catch (e) {
      toast(problem(e));
    }
  };
  if (!conversation) return html`<div class="page"><${Header} title=${t("me.chat")} /><${Loading} error=${error} /></div>`;
  const about = params.get("product") ? { kind: "product", product_id: Number(params.get("product")) }
    : params.get("order") ? { kind: "order", order_id: Number(params.get("order")) } : null;
  return html`<div class="page chat">
    <${Header} title=${t("me.chat")} />
    ${about ? html`<div class="pad"><button type="button" class="btn small ghost" onClick=${() => send(about)}>${t(about.kind === "product" ? "chat.send_product" : "chat.send_order")}</button></div>` : null}
    <div class="messages">
      ${messages.length ? null : html`<p class="muted center">${t("chat.hello")}</p>`}
      ${messages.map((m) => html`<div class=${`bubble ${m.sender_role === "buyer" ? "mine" : "theirs"}`} data-seq=${m.seq}>
        ${m.kind === "text" ? m.text : m.kind === "product" ? `🛍 ${(m.payload && m.payload.name) || m.product_id || ""}` : `📦 ${(m.payload && m.payload.number) || ""}`}
      </div>`)}
    </div>
    <form class="action-bar chat-bar" onSubmit=${(e) => { e.preventDefault(); if (text.trim()) { send({ kind: "text", text: text.trim() }); setText(""); } }}>
      <input name="message" value=${text} placeholder=${t("chat.placeholder")} onInput=${(e) => setText(e.target.value)} />
      <button type="submit" class="btn">${t("chat.send")}</button>
    </form>
  </div>`;
}

// -- notifications -------------------------------------------------------------------------

export function Notifications() {
  const [items, error, reload] = useLoad(() => get("/me/notifications?page_size=50"));
  const readAll = () => post("/me/notifications/read-all").then(reload, (e) => toast(problem(e)));
  const open = (m) => {
    if (!m.read_at) api("POST", `/me/notifications/${m.id}/read`).then(reload, () => null);
  };
  return html`<div class="page notifications">
    <${Header} title=${t("me.notifications")} right=${html`<button type="button" class="link small" onClick=${readAll}>${t("notify.read_all")}</button>`} />
    ${!items
      ? html`<${Loading} error=${error} />`
      : !items.length
        ? html`<${Empty} text=${t("notify.empty")} />`
        : items.map((m) => html`<section class=${`card notice ${m.read_at ? "read" : "unread"}`} onClick=${() => open(m)} data-id=${m.id}>
            <div class="row"><strong>${m.subject}</strong><span class="muted small">${when(m.created_at)}</span></div>
            <p>${m.body}</p>
          </section>`)}
  </div>`;
}

export const ROUTES = [
  [/^\/member$/, MemberCentre, false],
  [/^\/promoter$/, PromoterCentre, false],
  [/^\/chat\/(?<merchantId>\d+)$/, Chat, false],
  [/^\/notifications$/, Notifications, false],
];

