// Signing in and registering, and the buyer's own page.
import {
  BASE, Header, Loading, api, get, hasPlugin, html, lang, navigate, post, problem, query, setLang,
  setToken, t, toast, token, useEffect, useLoad, useState, yuan,
} from "./lib.js";

const DEMO_STORE = 1;
const WECHAT = "mallkit.shop.wechat"; // the state and the page to come back to, across WeChat's page

function afterSignIn() {
  const next = query().get("next");
  navigate(next && next.startsWith("/") ? next : "/", { replace: true });
}

export function Login() {
  const [form, setForm] = useState({ login: "", password: "" });
  const [busy, setBusy] = useState(false);
  // "Sign in with WeChat" shows only where the platform has set it up (404 otherwise)
  const [state] = useState(() => Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join(""));
  const [wechat] = useLoad(() => {
    const back = `${location.origin}${BASE}/wechat`;
    return get(`/auth/wechat/h5/authorize-url?redirect_uri=${encodeURIComponent(back)}&state=${state}`).catch(() => null);
  });
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const answer = await post("/auth/login", form);
      setToken(answer.token);
      afterSignIn();
    } catch (error) {
      toast(problem(error));
      setBusy(false);
    }
  };
  const withWechat = () => {
    sessionStorage.setItem(WECHAT, JSON.stringify({ state, next: query().get("next") || "/me" }));
    location.href = wechat.url;
  };
  return html`<div class="page auth">
    <${Header} title=${t("login.title")} />
    <form class="card form" onSubmit=${submit}>
      <label class="field"><span>${t("login.login")}</span>
        <input name="login" autocomplete="username" value=${form.login} onInput=${(e) => setForm({ ...form, login: e.target.value })} /></label>
      <label class="field"><span>${t("login.password")}</span>
        <input name="password" type="password" autocomplete="current-password" value=${form.password}
          onInput=${(e) => setForm({ ...form, password: e.target.value })} /></label>
      <button type="submit" class="btn wide" disabled=${busy}>${t("login.submit")}</button>
      ${wechat && wechat.url
        ? html`<button type="button" class="btn wide wechat" onClick=${withWechat}>${t("login.wechat")}</button>`
        : null}
      <a class="link center" href=${`${BASE}/register${location.search}`}>${t("login.register")}</a>
    </form>
  </div>`;
}

/** Where WeChat's consent page sends the buyer back (``?code=&state=``): sign in, or prove a
 * phone by SMS code when this WeChat user has no account yet. */
export function WeChatReturn() {
  const params = query();
  const saved = JSON.parse(sessionStorage.getItem(WECHAT) || "{}");
  const [answer, error] = useLoad(async () => {
    if (!params.get("code") || params.get("state") !== saved.state) throw new Error("state");
    return post("/auth/wechat/h5", { code: params.get("code") });
  });
  const [form, setForm] = useState({ phone: "", code: "" });
  const [sent, setSent] = useState(false);
  const finish = (signedIn) => {
    setToken(signedIn.token);
    sessionStorage.removeItem(WECHAT);
    navigate(saved.next && saved.next.startsWith("/") ? saved.next : "/me", { replace: true });
  };
  useEffect(() => {
    if (answer && answer.status === "signed_in") finish(answer);
  }, [answer]);
  if (!answer || answer.status === "signed_in") return html`<div class="page"><${Header} title=${t("login.wechat")} /><${Loading} error=${error} /></div>`;
  const sendCode = async () => {
    try {
      await post("/auth/codes", { login: form.phone, purpose: "sign_in", locale: lang() === "zh" ? "zh-CN" : "en" });
      setSent(true);
      toast(t("wechat.code_sent"));
    } catch (e) {
      toast(problem(e));
    }
  };
  const bind = async (event) => {
    event.preventDefault();
    try {
      finish(await post("/auth/wechat/bind", { ticket: answer.ticket, phone: form.phone, code: form.code }));
    } catch (e) {
      toast(problem(e));
    }
  };
  return html`<div class="page auth">
    <${Header} title=${t("wechat.bind_title")} />
    <form class="card form" onSubmit=${bind}>
      <p class="muted">${t("wechat.bind_why")}</p>
      <label class="field"><span>${t("address.phone")}</span>
        <input name="phone" type="tel" autocomplete="tel" value=${form.phone} onInput=${(e) => setForm({ ...form, phone: e.target.value })} /></label>
      <button type="button" class="btn ghost" disabled=${!form.phone} onClick=${sendCode}>${sent ? t("wechat.resend") : t("wechat.send_code")}</button>
      <label class="field"><span>${t("wechat.code")}</span>
        <input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" value=${form.code}
          onInput=${(e) => setForm({ ...form, code: e.target.value })} /></label>
      <button type="submit" class="btn wide" disabled=${!form.code}>${t("wechat.bind")}</button>
    </form>
  </div>`;
}

export function Register() {
  const [form, setForm] = useState({ name: "", email: "", password: "" });
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const body = { ...form };
      const share = sessionStorage.getItem("mallkit.shop.share");
      if (share) body.share_code = share;
      await post("/auth/register", body);
      const answer = await post("/auth/login", { login: form.email, password: form.password });
      setToken(answer.token);
      afterSignIn();
    } catch (error) {
      setErrors(error.errors || {});
      toast(problem(error));
      setBusy(false);
    }
  };
  const field = (name, type = "text", auto = "") => html`<label class="field"><span>${t(`register.${name === "password" ? "title" : name}`)}</span>
    <input name=${name} type=${type} autocomplete=${auto} value=${form[name]} onInput=${(e) => setForm({ ...form, [name]: e.target.value })} />
    ${errors[name] ? html`<small class="error">${[].concat(errors[name]).join(" ")}</small>` : null}</label>`;
  return html`<div class="page auth">
    <${Header} title=${t("register.title")} />
    <form class="card form" onSubmit=${submit}>
      ${field("name", "text", "nickname")}
      ${field("email", "email", "email")}
      <label class="field"><span>${t("login.password")}</span>
        <input name="password" type="password" autocomplete="new-password" value=${form.password}
          onInput=${(e) => setForm({ ...form, password: e.target.value })} />
        ${errors.password ? html`<small class="error">${[].concat(errors.password).join(" ")}</small>` : null}</label>
      <button type="submit" class="btn wide" disabled=${busy}>${t("register.submit")}</button>
      <a class="link center" href=${`${BASE}/login${location.search}`}>${t("register.have")}</a>
    </form>
  </div>`;
}

export function Me() {
  const signedIn = Boolean(token());
  const [me] = useLoad(async () => (signedIn ? get("/me") : null), [signedIn]);
  const [member] = useLoad(async () => {
    if (!signedIn || !(await hasPlugin(DEMO_STORE, "membership"))) return null;
    return get(`/merchants/${DEMO_STORE}/membership/me`).catch(() => null);
  }, [signedIn]);
  const [plugins] = useLoad(async () => {
    const names = {};
    for (const name of ["membership", "distribution", "livechat", "notifications", "aftersales", "coupons"]) {
      names[name] = await hasPlugin(DEMO_STORE, name);
    }
    return names;
  });
  const [unread] = useLoad(async () => {
    if (!signedIn || !(plugins && plugins.notifications)) return 0;
    return (await get("/me/notifications/unread-count").catch(() => ({ unread: 0 }))).unread || 0;
  }, [signedIn, plugins && plugins.notifications]);
  const logout = async () => {
    await api("POST", "/auth/logout").catch(() => null);
    setToken(null);
    navigate("/", { replace: true });
  };
  const on = plugins || {};
  return html`<div class="page me">
    <div class="me-head">
      ${signedIn && me
        ? html`<div class="avatar">${(me.name || me.email || "?").slice(0, 1)}</div>
            <div><div class="me-name">${me.name || me.email || me.phone}</div>
            ${member ? html`<div class="small"><span class="tag gold">${member.level ? member.level.name : ""}</span> ${t("checkout.points_have", { n: member.points })}</div>` : null}</div>`
        : html`<a class="btn" href=${`${BASE}/login?next=/me`}>${t("me.sign_in")}</a>`}
    </div>
    <nav class="menu">
      <a href=${`${BASE}/orders`}>${t("me.orders")}</a>
      ${on.aftersales ? html`<a href=${`${BASE}/aftersales`}>${t("me.aftersales")}</a>` : null}
      ${on.membership ? html`<a href=${`${BASE}/member`}>${t("me.member")}${member ? html` <span class="muted small">${yuan(member.balance)}</span>` : null}</a>` : null}
      ${on.distribution ? html`<a href=${`${BASE}/promoter`}>${t("me.promoter")}</a>` : null}
      ${on.coupons ? html`<a href=${`${BASE}/coupons?store=${DEMO_STORE}`}>${t("me.coupons")}</a>` : null}
      <a href=${`${BASE}/addresses`}>${t("me.addresses")}</a>
      ${on.livechat ? html`<a href=${`${BASE}/chat/${DEMO_STORE}`}>${t("me.chat")}</a>` : null}
      ${on.notifications ? html`<a href=${`${BASE}/notifications`}>${t("me.notifications")}${unread ? html`<span class="badge">${unread}</span>` : null}</a>` : null}
      <button type="button" class="menu-button" onClick=${() => setLang(lang() === "zh" ? "en" : "zh")}>${t("me.language")}</button>
      ${signedIn ? html`<button type="button" class="menu-button" onClick=${logout}>${t("me.logout")}</button>` : null}
    </nav>
  </div>`;
}
