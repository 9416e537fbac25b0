// Team mode in the window: Settings → Team store (a PostgreSQL URL per
// environment kind, the password write-only), the team store's state in the
// top bar, and the Approvals view (refunds above the team threshold that
// another agent requested). The database decides who may approve.

import { call, listen } from "./api.js";
import { h, $, fill } from "./dom.js";
import { dateTime } from "./format.js";
import { showError, hideError, toast, openDialog } from "./ui.js";
import { formatCents } from "./money.js";

let statuses = [];
let els = null;

// ---- the top bar ---------------------------------------------------------

function showStatus(list) {
  statuses = list || [];
  if (els?.settings && !els.settings.contains(document.activeElement)) renderSettings();
  const el = $("#team-status");
  const on = statuses.filter((s) => s.state !== "off");
  el.hidden = on.length === 0;
  if (!on.length) return;
  const down = on.find((s) => s.state === "unreachable");
  const up = on.find((s) => s.state === "connected");
  const waiting = on[0].waiting;
  el.className = `conn ${down ? "offline" : up ? "online" : ""}`;
  el.dataset.state = down ? "unreachable" : up ? "connected" : "unknown";
  el.textContent = down
    ? `Team store unreachable${waiting ? ` · ${waiting} waiting` : ""}`
    : up ? `Team: ${up.agent}${waiting ? ` · ${waiting} waiting` : ""}` : "Team store…";
  el.title = down ? `${down.message} Refunds are refused until it is back; audit entries wait in the outbox.` : "Team store connected";
}

async function pollStatus() {
  try { showStatus(await call("team_status")); } catch { /* shown at the next answer */ }
  // The Approvals view on screen follows the desk by itself (not while a
  // dialog or an error is up).
  if (!$("#view-approvals").hidden && !$("#dialog").open && $("#error-banner").hidden) listApprovals();
}

// ---- Settings → Team store ----------------------------------------------

function renderSettings() {
  fill(els.settings, statuses.map(storeCard));
}

function storeCard(s) {
  const url = h("input", { type: "text", value: s.url, autocomplete: "off", spellcheck: "false", placeholder: "postgres://agent@db.example:5432/linkdesk", testid: `team-url-${s.kind}` });
  const password = h("input", { type: "password", autocomplete: "off", placeholder: s.passwordSet ? "set — leave empty to keep" : "not set", testid: `team-password-${s.kind}` });
  const result = h("div", { class: "test-result", testid: `team-test-result-${s.kind}`, role: "status" });
  const save = async () => {
    try {
      showStatus(await call("save_team_store", { input: { kind: s.kind, url: url.value.trim(), password: password.value || null } }));
      renderSettings();
      toast(url.value.trim() ? `Team store for ${s.kind} environments saved` : `Team mode off for ${s.kind} environments`);
    } catch (err) {
      showError(err);
    }
  };
  const test = async () => {
    result.className = "test-result";
    result.textContent = "Testing…";
    try {
      const msg = await call("test_team_store", { kind: s.kind });
      result.className = "test-result ok";
      result.textContent = `✓ ${msg}`;
    } catch (err) {
      result.className = "test-result fail";
      result.textContent = `✗ ${err.message}`;
    }
    pollStatus();
  };
  const state = s.state === "off" ? "off" : s.state === "connected" ? `connected as ${s.agent}` : s.state;
  return h("div", { class: "card", testid: "team-card", dataset: { kind: s.kind } },
    h("div", { class: "card-head" },
      h("h3", {}, `Team store — ${s.kind} environments`),
      h("span", { class: `kind ${s.kind}` }, s.kind === "production" ? "PRODUCTION" : "SANDBOX"),
      h("span", { class: "badge", testid: `team-state-${s.kind}` }, state)),
    h("div", { class: "form-grid team-form" },
      h("label", { class: "wide" }, "PostgreSQL URL (host, port, database, your own role — no password)", url),
      h("label", { class: "wide" }, "Password (kept in the OS keyring only)", password)),
    s.message ? h("p", { class: "field-error" }, s.message) : null,
    h("div", { class: "actions" },
      h("button", { class: "primary", testid: `team-save-${s.kind}`, onclick: save }, "Save"),
      s.url ? h("button", { testid: `team-test-${s.kind}`, onclick: test }, "Test connection") : null),
    result);
}

// ---- Approvals -------------------------------------------------------------

export function init() {
  els = { settings: $("#team-list") };
  const rows = h("tbody", {});
  const empty = h("div", { class: "empty", testid: "approvals-empty", hidden: true }, "No refund is waiting for approval.");
  const note = h("p", { class: "muted", testid: "approvals-note" });
  $("#view-approvals").append(
    h("div", { class: "toolbar" }, h("h1", { class: "view-title" }, "Approvals"), h("div", { class: "toolbar-spacer" }),
      h("button", { testid: "approvals-refresh", onclick: refresh }, "Refresh")),
    note,
    h("div", { class: "table-wrap" },
      h("table", { class: "grid", testid: "approvals-table" },
        h("thead", {}, h("tr", {}, ["Requested", "By", "Customer", "Payment", "Amount", "State", "Decision"].map((x) => h("th", {}, x)))),
        rows),
      empty),
  );
  els.rows = rows;
  els.empty = empty;
  els.note = note;
  renderSettings();
  listen("team-status", showStatus);
  pollStatus();
  setInterval(pollStatus, 5000);
}

export async function refresh() {
  hideError();
  await listApprovals();
}

async function listApprovals() {
  try {
    const list = await call("approval_list");
    const me = statuses.find((s) => s.state === "connected")?.agent;
    els.note.textContent = "Refunds above the team's threshold wait here for a second agent. The requester's Linkdesk sends an approved refund; a rejection needs a reason.";
    fill(els.rows, list.map((a) => row(a, me)));
    els.empty.hidden = list.length > 0;
  } catch (err) {
    fill(els.rows);
    els.empty.hidden = true;
    showError(err);
  }
}

function row(a, me) {
  const mine = a.requestedBy === me;
  const waiting = a.state === "REQUESTED";
  const tone = { REQUESTED: "pending", APPROVED: "authorized", SENT: "succeeded", REJECTED: "canceled" }[a.state] || "other";
  return h("tr", { testid: "approval-row", class: "static", dataset: { key: a.requestKey, state: a.state } },
    h("td", {}, dateTime(a.requestedAt)),
    h("td", {}, h("span", { testid: "approval-by" }, a.requestedBy)),
    h("td", { title: a.envName }, a.customerName || a.customerId),
    h("td", { class: "mono", title: a.paymentId }, `${String(a.paymentId).slice(0, 8)}… #${a.refundNumber}`),
    h("td", { class: "num" }, h("span", { testid: "approval-amount" }, formatCents(a.amountCents))),
    h("td", {}, h("span", { class: `badge s-${tone}`, testid: "approval-state", title: a.reason || "" },
      a.state.toLowerCase() + (a.decidedBy ? ` by ${a.decidedBy}` : "") + (a.reason ? `: ${a.reason}` : ""))),
    h("td", {}, waiting && !mine
      ? [h("button", { class: "primary small", testid: "approval-approve", onclick: () => decide(a, true) }, "Approve…"), " ",
         h("button", { class: "small", testid: "approval-reject", onclick: () => decide(a, false) }, "Reject…")]
      : waiting ? h("span", { class: "muted" }, "yours: another agent decides") : null),
  );
}

async function decide(a, approve) {
  const reason = h("input", { type: "text", autocomplete: "off", testid: "approval-reason", placeholder: approve ? "optional" : "required" });
  const ok = await openDialog({
    title: approve ? `Approve a refund of ${formatCents(a.amountCents)}?` : `Reject a refund of ${formatCents(a.amountCents)}?`,
    body: [
      h("dl", { class: "summary" },
        h("dt", {}, "Requested by"), h("dd", {}, a.requestedBy),
        h("dt", {}, "Customer"), h("dd", {}, a.customerName || a.customerId),
        h("dt", {}, "Payment"), h("dd", { class: "mono" }, `${a.paymentId} · ${formatCents(a.paymentCents)}`),
        h("dt", {}, "Amount"), h("dd", { class: "amount" }, formatCents(a.amountCents))),
      h("label", {}, approve ? "Note" : "Reason", reason),
    ],
    okLabel: approve ? "Approve" : "Reject",
    okClass: approve ? "primary" : "danger",
    // A refusal (the database's, or a missing reason) shows in the dialog.
    onOk: () => call("approval_decide", { requestKey: a.requestKey, approve, reason: reason.value.trim() || null }),
  });
  if (ok) toast(approve ? "Approved: the requester's Linkdesk sends it" : "Rejected");
  refresh();
}

export function onKey() { return false; }
export function openRecord() { refresh(); }
