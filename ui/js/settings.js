// Settings: environments, their credentials (write-only; only "set, ends in
// …abcd" ever comes back), connection tests and switching.

import { call } from "./api.js";
import { h, clear, $ } from "./dom.js";
import { showError, hideError, toast, openDialog, confirmDialog } from "./ui.js";
import { shell } from "./shell.js";
import { aboutRows } from "./updates.js";

let view = null;

export async function load() {
  try {
    view = await call("settings_view");
  } catch (err) {
    showError(err);
    return;
  }
  const problem = $("#keyring-problem");
  problem.hidden = !view.keyringProblem;
  problem.textContent = view.keyringProblem
    ? `The system keyring is not available, so secrets cannot be saved: ${view.keyringProblem} The built-in sandbox keeps working; nothing is ever stored in plain text instead.`
    : "";
  const list = clear($("#env-list"));
  for (const env of view.environments) list.append(card(env));
}

// "About Linkdesk": the version and the folders, each with an Open button
// that asks Linkdesk to open its own folder (the window never names a path).
async function about() {
  let info;
  try {
    info = await call("app_info");
  } catch (err) {
    showError(err);
    return;
  }
  const folder = (label, path, which) => [
    h("dt", {}, label),
    h("dd", {},
      h("span", { class: "mono", testid: `about-${which}-dir` }, path), " ",
      h("button", { class: "ghost", type: "button", testid: `open-${which}-dir`,
        // Said inside the dialog (the error banner is behind it).
        onclick: () => call("open_folder", { which }).catch((err) => toast(`${err.message} (${err.code})`, "error")) }, "Open")),
  ];
  await openDialog({
    title: "About Linkdesk",
    body: h("dl", { class: "fields", testid: "about" },
      h("dt", {}, "Version"), h("dd", { testid: "about-version" }, info.version),
      ...folder("Data folder", info.dataDir, "data"),
      ...folder("Cache folder", info.localDir, "local"),
      ...folder("Log folder", info.logDir, "log"),
      ...aboutRows()),
    okLabel: "Close",
    cancelLabel: null,
  });
}

function secretText(s) {
  if (!s.set) return h("span", { class: "null" }, "not set");
  return s.hint === "sandbox" ? "sandbox credentials" : s.hint ? `set, ends in …${s.hint}` : "set";
}

function card(env) {
  // One line per service: a second test never overwrites the first's answer.
  const results = {
    biller: h("div", { class: "test-result", testid: "test-result-biller", "aria-live": "polite" }),
    linkmoney: h("div", { class: "test-result", testid: "test-result-linkmoney", "aria-live": "polite" }),
  };
  const names = { biller: "BillerAPI", linkmoney: "Link Money" };
  const test = (service) => async () => {
    const result = results[service];
    result.className = "test-result";
    result.textContent = "Testing…";
    try {
      const msg = await call("test_connection", { id: env.id, service });
      result.className = "test-result ok";
      result.textContent = `✓ ${names[service]}: ${msg}`;
    } catch (err) {
      result.className = "test-result fail";
      result.textContent = `✗ ${names[service]}: ${err.message}`;
    }
  };
  return h("div", { class: `card${env.active ? " active" : ""}`, testid: "env-card", dataset: { id: env.id, name: env.name } },
    h("div", { class: "card-head" },
      h("h3", {}, env.name),
      h("span", { class: `kind ${env.kind}` }, env.kind === "production" ? "PRODUCTION" : "SANDBOX"),
      env.active ? h("span", { class: "badge s-active" }, "active") : null),
    h("dl", { class: "fields" },
      h("dt", {}, "BillerAPI URL"), h("dd", { class: "mono" }, env.billerUrl),
      h("dt", {}, "BillerAPI client ID"), h("dd", {}, env.billerClientId || h("span", { class: "null" }, "not set")),
      h("dt", {}, "BillerAPI secret"), h("dd", { testid: "biller-secret-state" }, secretText(env.billerSecret)),
      h("dt", {}, "Link Money URL"), h("dd", { class: "mono" }, env.linkmoneyUrl),
      h("dt", {}, "Merchant ID"), h("dd", {}, env.merchantId || h("span", { class: "null" }, "not set")),
      h("dt", {}, "Link Money client ID"), h("dd", {}, env.linkmoneyClientId || h("span", { class: "null" }, "not set")),
      h("dt", {}, "Link Money secret"), h("dd", { testid: "linkmoney-secret-state" }, secretText(env.linkmoneySecret)),
      h("dt", {}, "BillerAPI link operations"), h("dd", { testid: "link-ops-budget" }, `${env.linkOpsPerMinute} a minute (the sync leaves a tenth for browsing)`),
    ),
    h("div", { class: "actions" },
      env.active ? null : h("button", { class: "primary", testid: "env-use", onclick: () => shell.switchTo(env.id) }, "Use"),
      h("button", { testid: "env-test-biller", onclick: test("biller") }, "Test BillerAPI"),
      h("button", { testid: "env-test-linkmoney", onclick: test("linkmoney") }, "Test Link Money"),
      env.builtin ? null : h("button", { testid: "env-edit", onclick: () => editEnv(env) }, "Edit"),
      env.builtin ? null : h("button", { class: "ghost", testid: "env-delete", onclick: () => deleteEnv(env) }, "Delete"),
    ),
    results.biller, results.linkmoney);
}

async function editEnv(env) {
  // "Add environment" can be clicked before the view's first answer came.
  if (!view) await load();
  if (!view) return;
  const input = (name, value, attrs = {}) => h("input", { type: "text", name, value: value || "", autocomplete: "off", spellcheck: "false", testid: `env-${name}`, ...attrs });
  const keptText = (state) => state?.set ? `set, ends in …${state.hint} — leave empty to keep` : "not set";
  const secretInput = (name, state) => input(name, "", { type: "password", placeholder: keptText(state) });
  const f = {
    name: input("name", env?.name),
    kind: h("select", { testid: "env-kind" }, h("option", { value: "sandbox" }, "Sandbox"), h("option", { value: "production" }, "Production")),
    billerUrl: input("billerUrl", env?.billerUrl, { placeholder: "https://…" }),
    linkmoneyUrl: input("linkmoneyUrl", env?.linkmoneyUrl, { placeholder: "https://…" }),
    merchantId: input("merchantId", env?.merchantId),
    billerClientId: input("billerClientId", env?.billerClientId),
    billerClientSecret: secretInput("billerClientSecret", env?.billerSecret),
    linkmoneyClientId: input("linkmoneyClientId", env?.linkmoneyClientId),
    linkmoneyClientSecret: secretInput("linkmoneyClientSecret", env?.linkmoneySecret),
    linkOpsPerMinute: input("linkOpsPerMinute", String(env?.linkOpsPerMinute ?? 100), { type: "number", min: "1", step: "1" }),
  };
  f.kind.value = env?.kind || "sandbox";
  f.confirmName = input("confirmName", "", { placeholder: env?.name });

  // What the core will ask for, said before saving (the core decides).
  const hasSecrets = !!(env && (env.billerSecret.set || env.linkmoneySecret.set));
  const forgetNotice = h("div", { class: "banner notice wide", testid: "env-forget-notice", hidden: true },
    h("span", { class: "banner-text" }, "Saving forgets the saved secrets; enter them again. A new URL or kind never receives secrets given for the old one."));
  const confirmLabel = h("label", { class: "wide", hidden: true },
    `Confirm name — type “${env?.name ?? ""}” to change a production environment's URLs, merchant ID or kind`, f.confirmName);
  const bare = (url) => url.trim().replace(/\/+$/, "");
  const update = () => {
    if (!env) return;
    const moved = bare(f.billerUrl.value) !== env.billerUrl || bare(f.linkmoneyUrl.value) !== env.linkmoneyUrl || f.kind.value !== env.kind;
    forgetNotice.hidden = !(hasSecrets && moved);
    for (const [el, state] of [[f.billerClientSecret, env.billerSecret], [f.linkmoneyClientSecret, env.linkmoneySecret]]) {
      el.placeholder = moved && state.set ? "forgotten on saving — enter it again" : keptText(state);
    }
    confirmLabel.hidden = env.kind !== "production" && f.kind.value !== "production";
  };
  for (const el of Object.values(f)) { el.addEventListener("input", update); el.addEventListener("change", update); }
  update();

  const presets = h("div", { class: "presets" }, "Presets:",
    view.presets.map((p) => h("button", { class: "small", type: "button", testid: "env-preset", onclick: () => {
      f.kind.value = p.kind;
      f.billerUrl.value = p.billerUrl;
      f.linkmoneyUrl.value = p.linkmoneyUrl;
      if (!f.name.value) f.name.value = p.name;
      update();
    } }, p.name)));
  const label = (text, el, wide) => h("label", { class: wide ? "wide" : "" }, text, el);
  const dialog = $("#dialog");
  dialog.classList.add("wide");
  const saved = await openDialog({
    title: env ? `Edit ${env.name}` : "Add environment",
    body: [presets, h("div", { class: "form-grid" },
      label("Name", f.name), label("Kind", f.kind),
      label("BillerAPI base URL", f.billerUrl, true),
      label("BillerAPI client ID", f.billerClientId), label("BillerAPI client secret", f.billerClientSecret),
      label("Link Money base URL", f.linkmoneyUrl, true),
      label("Link Money merchant ID", f.merchantId, true),
      label("Link Money client ID", f.linkmoneyClientId), label("Link Money client secret", f.linkmoneyClientSecret),
      label("BillerAPI link operations a minute (documented: 100; a negotiated limit if the client has one)", f.linkOpsPerMinute, true),
      forgetNotice, confirmLabel,
    ), h("p", {}, "Secrets are stored only in the system keyring and are never shown again. A production environment accepts only https:// URLs and refuses bb_test_ (sandbox) BillerAPI secrets; a sandbox refuses bb_live_ (production) ones.")],
    okLabel: "Save",
    onOk: () => call("save_environment", { input: {
      id: env?.id || "", name: f.name.value, kind: f.kind.value,
      billerUrl: f.billerUrl.value, linkmoneyUrl: f.linkmoneyUrl.value, merchantId: f.merchantId.value,
      billerClientId: f.billerClientId.value, linkmoneyClientId: f.linkmoneyClientId.value,
      billerClientSecret: f.billerClientSecret.value || null, linkmoneyClientSecret: f.linkmoneyClientSecret.value || null,
      confirmName: f.confirmName.value || null,
      linkOpsPerMinute: Number(f.linkOpsPerMinute.value) || 0,
    } }),
  });
  dialog.classList.remove("wide");
  if (saved) {
    hideError();
    const names = { biller: "BillerAPI", linkmoney: "Link Money" };
    const forgotten = saved.forgottenSecrets.map((s) => names[s]);
    toast(forgotten.length
      ? `Saved ${saved.name}. Its ${forgotten.join(" and ")} secret${forgotten.length > 1 ? "s were" : " was"} forgotten because a URL or the kind changed; enter ${forgotten.length > 1 ? "them" : "it"} again.`
      : `Saved ${saved.name}`);
    await shell.reloadEnvironments();
    load();
  }
}

async function deleteEnv(env) {
  const ok = await confirmDialog(`Delete ${env.name}?`, "Its settings and its secrets in the keyring are deleted. This cannot be undone.", "Delete", "danger");
  if (!ok) return;
  try {
    await call("delete_environment", { id: env.id });
    hideError();
    // The active one deleted: the core is on the built-in sandbox now, and
    // the banner, the lock and every view follow.
    await shell.reload();
    toast(env.active ? `Deleted ${env.name}; now using ${shell.info.environment.name}` : `Deleted ${env.name}`);
    load();
    if (env.active) shell.onChange();
  } catch (err) {
    showError(err);
  }
}

const LETTERS_KEY = "linkdesk.letterShortcuts";

/** Whether single-letter shortcuts (j, k, n, r, g…) are on; Settings can turn them off. */
export function letterShortcuts() {
  return localStorage.getItem(LETTERS_KEY) !== "off";
}

export function init() {
  // Disabled in the page until here: a click before the window is ready is
  // never lost without a word.
  const add = $("#env-add");
  add.addEventListener("click", () => editEnv(null));
  add.disabled = false;
  add.removeAttribute("title");
  const letters = $("#letter-shortcuts");
  letters.checked = letterShortcuts();
  letters.addEventListener("change", () => {
    localStorage.setItem(LETTERS_KEY, letters.checked ? "on" : "off");
    toast(letters.checked ? "Single-letter shortcuts are on" : "Single-letter shortcuts are off; Ctrl+K, Enter, Esc and the arrows still work");
  });
  $("#about-open").addEventListener("click", about);
}

export function onKey(e) {
  if (e.key === "a") { editEnv(null); return true; }
  return false;
}

export const refresh = load;
