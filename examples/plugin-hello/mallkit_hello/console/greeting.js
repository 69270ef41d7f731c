// The hello plugin's console page: its own small component (register_console_pages with
// component="greeting.js"). The console passes `kit` (html, hooks, the API client, t) so a
// plugin needs no build step and no copy of Preact.
export default function Greeting({ merchantId, kit }) {
  const { html, useState, useEffect, get, Loading, Failure, LANG } = kit;
  const [answer, setAnswer] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => { get(`/merchants/${merchantId}/hello`).then(setAnswer, setError); }, [merchantId]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!answer) return html`<${Loading} />`;
  return html`<div class="card hello-card">
    <p class="hello-greeting" style="font-size: 28px; margin: 0 0 8px">${answer.greeting}</p>
    <p class="muted">${LANG === "zh" ? `店铺问候语已展示 ${answer.visits} 次。在“插件”页修改问候语。` : `The greeting was served ${answer.visits} times. Change it on the Plugins page.`}</p>
  </div>`;
}
