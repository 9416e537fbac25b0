// Linkdesk's window: start-up, the views and the keyboard.

import { $, isTyping } from "./dom.js";
import { h } from "./dom.js";
import { hideError, showError, openDialog } from "./ui.js";
import { shell } from "./shell.js";
import { startMarks } from "./api.js";
import * as rtl from "./rtl.js";
import * as settings from "./settings.js";
import * as customers from "./customers.js";
import * as transactions from "./transactions.js";
import * as payouts from "./payouts.js";
import * as refunds from "./refunds.js";
import * as webhooks from "./webhooks.js";
import * as audit from "./audit.js";
import * as team from "./team.js";
import * as goto from "./goto.js";
import * as updates from "./updates.js";
import { navigation } from "./money.js";

// Every view module exports init(), refresh() and onKey(event) -> bool; the
// Link Money ones also export openRecord(id) for links and "Go to ID".
const views = { rtls: rtl, customers, transactions, payouts, refunds, webhooks, approvals: team, audit, settings };
const JUMP_KEYS = { r: "rtls", c: "customers", t: "transactions", p: "payouts", f: "refunds", w: "webhooks", v: "approvals", a: "audit", s: "settings" };
let current = "rtls";
let pendingG = false;

/** Shows a view; with `id`, opens that record in it (links between views, "Go to ID"). */
export function show(name, id) {
  if (!views[name]) return;
  if (name !== current) navigation.epoch += 1;
  current = name;
  for (const el of document.querySelectorAll(".view")) el.hidden = el.id !== `view-${name}`;
  for (const a of document.querySelectorAll(".nav-item")) a.classList.toggle("active", a.dataset.view === name);
  if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
  hideError();
  if (id !== undefined && views[name].openRecord) views[name].openRecord(id);
  else views[name].refresh();
}
window.linkdeskShow = show; // for views that link to each other without import cycles
window.linkdeskGoto = (text) => goto.toggle(text || "");

// The service stopped or started answering: every write button says so at once.
document.addEventListener("linkdesk-writable", () => {
  const block = shell.writeBlock();
  for (const b of document.querySelectorAll("[data-writes]")) {
    b.disabled = !!block;
    b.title = block || b.dataset.writes;
  }
});

/** Lists the requests to link of one client user ID or biller (from "Go to ID"). */
window.linkdeskShowRtls = (filter) => {
  show("rtls");
  rtl.showOnly(filter);
};

/** True when Enter or Space belongs to the focused control (a button, a link, a row's own handler). */
function activates(e) {
  const t = e.target;
  return (e.key === "Enter" || e.key === " ") && t instanceof HTMLElement
    && t.matches("button, a[href], summary, input[type=checkbox], input[type=radio], [role=button]");
}

document.addEventListener("keydown", (e) => {
  if (e.defaultPrevented) return; // a dialog or a field used it
  if ($("#dialog").open || $("#goto").open) return; // dialogs handle their own keys
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k") {
    e.preventDefault();
    goto.toggle();
    return;
  }
  if (e.key === "Escape") {
    if (isTyping(e)) { e.target.blur(); e.preventDefault(); return; }
    if (!$("#error-banner").hidden) { hideError(); return; }
  }
  if (isTyping(e) || activates(e) || e.ctrlKey || e.metaKey || e.altKey) return;
  // Single-letter shortcuts can be turned off (Settings → Keyboard); Enter,
  // Esc and the arrows keep working.
  if (e.key.length === 1 && !settings.letterShortcuts()) return;
  // "g" then a letter jumps to a view.
  if (pendingG) {
    pendingG = false;
    const target = JUMP_KEYS[e.key];
    if (target) { show(target); e.preventDefault(); return; }
  }
  if (e.key === "?") { e.preventDefault(); showShortcuts(); return; }
  if (e.key === "g") { pendingG = true; setTimeout(() => { pendingG = false; }, 1000); return; }
  if (views[current].onKey(e)) e.preventDefault();
});

const SHORTCUTS = [
  ["Ctrl K", "Go to any record by ID (the cache, then the service), or a client user ID's requests"],
  ["/", "Search"],
  ["j / k, ↓ / ↑", "Move the selection"],
  ["Enter", "Open the selected row"],
  ["r", "Refund the open transaction or customer (Ctrl+Enter sends, after the review)"],
  ["Esc", "Close the detail, a dialog or the error"],
  ["[ / ]", "Previous / next page"],
  ["n", "New request to link"],
  ["g r · g c · g t · g p", "Requests · Customers · Transactions · Payouts"],
  ["g f · g w · g v", "Refund journal · Webhooks · Approvals"],
  ["g a · g s", "Audit log · Settings"],
  ["?", "This list"],
];

function showShortcuts() {
  openDialog({
    title: "Keyboard shortcuts",
    body: h("dl", { class: "summary", testid: "shortcuts" },
      SHORTCUTS.map(([keys, what]) => [h("dt", {}, h("kbd", {}, keys)), h("dd", {}, what)])),
    okLabel: "Close",
    cancelLabel: null,
  });
}

async function start() {
  startMarks.script = performance.now();
  $("#error-banner .banner-close").addEventListener("click", hideError);
  for (const a of document.querySelectorAll(".nav-item")) {
    a.addEventListener("click", (e) => { e.preventDefault(); show(a.dataset.view); });
  }
  const first = location.hash.slice(1);
  if (!views[first] || first === "rtls") rtl.prefetch();
  try {
    await shell.init(() => views[current].refresh());
    startMarks.appInfo = performance.now();
  } catch (err) {
    showError(err);
    return;
  }
  for (const v of Object.values(views)) v.init();
  goto.init();
  updates.init();
  show(views[first] ? first : "rtls");
}

start();
