// Webhook subscriptions made from Linkdesk: subscribe (the secret key goes to
// the OS keyring only) and unsubscribe.

import { call } from "./api.js";
import { h, $, fill } from "./dom.js";
import { dateTime } from "./format.js";
import { showError, hideError, toast, confirmDialog } from "./ui.js";
import { shell } from "./shell.js";

let els = null;
let options = { categories: [], events: [] };

export function init() {
  const url = h("input", { type: "text", testid: "webhook-url", placeholder: "https://example.com/linkmoney/webhook", autocomplete: "off", spellcheck: "false", class: "wide-input" });
  const secret = h("input", { type: "password", testid: "webhook-secret", placeholder: "Secret key (kept in the system keyring)", autocomplete: "new-password" });
  const type = h("select", { testid: "webhook-type" },
    h("option", { value: "ALL" }, "ALL — every event"),
    h("option", { value: "CATEGORY" }, "CATEGORY — chosen categories"),
    h("option", { value: "EVENT" }, "EVENT — chosen events"));
  const choices = h("div", { class: "choices", testid: "webhook-choices" });
  type.addEventListener("change", renderChoices);
  const subscribe = h("button", { class: "primary", testid: "webhook-subscribe", onclick: submit }, "Subscribe");
  // The form's own error stays beside it until the person changes the form
  // or subscribes again; reloading the list never clears it.
  const formError = h("div", { class: "field-error", testid: "webhook-error", role: "alert" });
  const blocked = h("div", { class: "block-note", testid: "webhook-blocked", hidden: true });
  const rows = h("tbody", {});
  const empty = h("div", { class: "empty", testid: "webhooks-empty", hidden: true }, "No subscriptions made from Linkdesk in this environment.");
  $("#view-webhooks").append(
    h("div", { class: "toolbar" }, h("h1", { class: "view-title" }, "Webhook subscriptions")),
    h("div", { class: "card webhook-form" },
      h("div", { class: "form-grid" },
        h("label", { class: "wide" }, "URL", url),
        h("label", {}, "Secret key", secret),
        h("label", {}, "Type", type),
        h("div", { class: "wide" }, choices)),
      blocked,
      h("div", { class: "actions" }, subscribe, formError)),
    h("div", { class: "table-wrap" },
      h("table", { class: "grid", testid: "webhook-table" },
        h("thead", {}, h("tr", {}, ["URL", "Type", "Details", "Subscription key", "Subscribed", ""].map((x) => h("th", {}, x)))),
        rows),
      empty),
  );
  els = { url, secret, type, choices, subscribe, rows, empty, formError, blocked };
  for (const el of [url, secret, type, choices]) el.addEventListener("input", () => { formError.textContent = ""; });
  renderChoices();
}

function renderChoices() {
  const t = els.type.value;
  const list = t === "CATEGORY" ? options.categories : t === "EVENT" ? options.events : [];
  fill(els.choices, list.map((name) => h("label", { class: "choice" },
    h("input", { type: "checkbox", value: name, testid: "webhook-detail" }), h("span", { class: "mono" }, name))));
  if (t === "ALL") els.choices.append(h("span", { class: "hint" }, "Every event Link Money sends."));
}

async function load() {
  try {
    const list = await call("webhook_list");
    hideError();
    options = { categories: list.categories, events: list.events };
    renderChoices();
    fill(els.rows, list.subscriptions.map(row));
    els.empty.hidden = list.subscriptions.length > 0;
  } catch (err) {
    showError(err);
  }
  const block = shell.writeBlock();
  els.subscribe.disabled = !!block;
  els.subscribe.title = block;
  els.blocked.hidden = !block;
  els.blocked.textContent = block;
}

function row(s) {
  return h("tr", { testid: "webhook-row", class: "static", dataset: { id: s.id } },
    h("td", { title: s.url }, s.url),
    h("td", {}, s.type),
    h("td", { title: s.details.join(", ") }, h("span", { testid: "webhook-details" }, s.details.join(", ") || "—")),
    h("td", { class: "mono" }, s.subscriptionKey),
    h("td", {}, dateTime(s.createdAt)),
    h("td", {}, h("button", { class: "small danger", testid: "webhook-unsubscribe", disabled: !!shell.writeBlock(), title: shell.writeBlock(), onclick: () => unsubscribe(s) }, "Unsubscribe")),
  );
}

async function submit() {
  const details = [...els.choices.querySelectorAll("input[type=checkbox]:checked")].map((c) => c.value);
  els.subscribe.disabled = true;
  els.formError.textContent = "";
  try {
    const made = await call("webhook_subscribe", { input: { url: els.url.value.trim(), secretKey: els.secret.value, type: els.type.value, details } });
    toast(`Subscribed: ${made.subscriptionKey}`);
    els.secret.value = "";
    els.url.value = "";
  } catch (err) {
    els.formError.textContent = err.message;
  } finally {
    els.subscribe.disabled = false;
  }
  load();
}

async function unsubscribe(s) {
  const ok = await confirmDialog("Unsubscribe?", `${s.url} will stop receiving Link Money ${s.type === "ALL" ? "events" : s.details.join(", ")}. Its secret key is deleted from the keyring.`, "Unsubscribe", "danger");
  if (!ok) return;
  try {
    await call("webhook_unsubscribe", { id: s.id });
    toast("Unsubscribed");
  } catch (err) {
    showError(err);
  }
  load();
}

export function refresh() { load(); }
export function onKey() { return false; }
export function openRecord() { load(); }
