// Refunds: the refund dialog (opened from a customer or a transaction) and the
// refund journal view. The request key is made by the core when the dialog
// opens; the core journals the refund before anything is sent and never sends
// a key twice, so this module only shows and confirms.

import { call, listen } from "./api.js";
import { h, clear, $, fill } from "./dom.js";
import { dateTime } from "./format.js";
import { showError, hideError, toast, badge, openDialog } from "./ui.js";
import { shell } from "./shell.js";
import { formatCents, parseCents } from "./money.js";

const DESCRIPTOR = /^[A-Za-z0-9 ]{0,80}$/;
const OPEN_STATES = ["SENDING", "UNRESOLVED"];

const STATE_TEXT = {
  AUTHORIZED: ["Refund authorized", "Link Money accepted the refund; it will be scheduled with the payment provider."],
  PENDING: ["Refund pending", "Link Money is deciding; the final status usually follows within 15 minutes."],
  TERMINAL_FAILED: ["Refund failed", "Link Money refused the refund. Nothing was refunded."],
  CONFIRMED_DUPLICATE: ["Refund went through", "Link Money already had this refund's request key: the first attempt went through, and it was not sent twice."],
  FAILED_NOT_SENT: ["Refund not sent", "Nothing was refunded. You can open a new refund."],
  UNRESOLVED: ["Refund outcome unknown", "Link Money did not answer. Linkdesk keeps the refund and sends it again with the same key (never a second refund) — from the refund journal, or by itself at the next start."],
};

// ---- the refund dialog ----------------------------------------------------

/** Opens the refund dialog for a customer, or for one of their transactions. */
export async function openRefund(customerId, transactionId) {
  let d;
  try {
    d = await call("refund_open", { customerId, transactionId: transactionId || null });
  } catch (err) {
    showError(err);
    return;
  }
  const amount = h("input", { type: "text", testid: "refund-amount", placeholder: d.capCents != null ? formatCents(d.capCents).replace("$", "") : "12.50", autocomplete: "off", inputmode: "decimal" });
  const reference = h("input", { type: "text", testid: "refund-client-ref", placeholder: "Optional, e.g. the ticket number", autocomplete: "off", maxlength: 255 });
  const descriptor = h("input", { type: "text", testid: "refund-descriptor", placeholder: "Optional: letters, digits, spaces (80 at most)", autocomplete: "off", maxlength: 80 });
  const retype = h("input", { type: "text", testid: "refund-amount-again", autocomplete: "off", inputmode: "decimal" });
  const form = h("div", { class: "refund-form" },
    h("label", {}, "Amount (USD)", amount),
    h("label", {}, "Client reference ID", reference),
    h("label", {}, "Statement descriptor", descriptor));
  const head = summary(d);
  const review = h("div", { class: "refund-review", testid: "refund-review", hidden: true });
  let step = 1;
  let cents = null;

  const pending = openDialog({
    title: `Refund ${d.customerName}`,
    body: [head, form, review],
    okLabel: "Review refund…",
    onOk: async () => {
      if (step === 1) {
        cents = parseCents(amount.value);
        if (cents === null || cents <= 0) throw new Error("Type an amount in USD with at most two decimals, e.g. 12.50.");
        if (d.capCents !== null && d.capCents !== undefined && cents > d.capCents) {
          throw new Error(`At most ${formatCents(d.capCents)} can be refunded (${d.capNote}).`);
        }
        if (!DESCRIPTOR.test(descriptor.value.trim())) throw new Error("The descriptor may hold only letters A–Z, digits and spaces, 80 at most.");
        showReview();
        return undefined;
      }
      if (cents > d.thresholdCents && parseCents(retype.value) !== cents) {
        throw new Error(`Type the amount again exactly (${formatCents(cents)}) to confirm.`);
      }
      sending(true);
      try {
        return await call("refund_submit", { input: {
          requestKey: d.requestKey, amount: amount.value.trim(),
          clientReferenceId: reference.value.trim() || null, softDescriptor: descriptor.value.trim() || null,
          retypedAmount: retype.value.trim() || null,
        } });
      } finally {
        sending(false);
      }
    },
  });
  const dialog = $("#dialog");
  const ok = dialog.querySelector("[data-testid=confirm-ok]");
  const cancel = dialog.querySelector("[data-testid=confirm-cancel]");
  let busy = false;
  const blockEsc = (e) => { if (busy) e.preventDefault(); };
  dialog.addEventListener("cancel", blockEsc);

  function sending(on) {
    busy = on;
    cancel.disabled = on;
    ok.textContent = on ? "Sending… do not close" : `Send refund of ${formatCents(cents)}`;
  }

  function showReview() {
    step = 2;
    form.hidden = true;
    head.hidden = true;
    const above = cents > d.thresholdCents;
    fill(review,
      h("p", { class: "review-lead" }, "Check this refund. It moves real money to the customer's bank account."),
      h("dl", { class: "summary", testid: "refund-confirm" },
        h("dt", {}, "Environment"), h("dd", { testid: "confirm-environment", class: d.environment.kind === "production" ? "prod-text" : "" }, `${d.environment.name} (${d.environment.kind})`),
        h("dt", {}, "Customer"), h("dd", { testid: "confirm-customer" }, d.customerName),
        h("dt", {}, "Account"), h("dd", { testid: "confirm-account" }, `•••• ${d.accountLastFour ?? "?"}`),
        h("dt", {}, "Amount"), h("dd", { testid: "confirm-amount", class: "amount" }, formatCents(cents)),
        h("dt", {}, "Descriptor"), h("dd", { testid: "confirm-descriptor" }, descriptor.value.trim() || "none"),
        h("dt", {}, "Reference"), h("dd", {}, reference.value.trim() || "none"),
      ),
      above ? h("label", { class: "retype" }, `Above ${formatCents(d.thresholdCents)}: type the amount again`, retype) : null,
      h("button", { class: "ghost small", type: "button", testid: "refund-change", onclick: () => { step = 1; form.hidden = false; head.hidden = false; review.hidden = true; ok.className = "primary"; ok.textContent = "Review refund…"; } }, "Change"),
    );
    review.hidden = false;
    ok.className = "danger";
    ok.textContent = `Send refund of ${formatCents(cents)}`;
    (above ? retype : ok).focus();
  }

  const row = await pending;
  dialog.removeEventListener("cancel", blockEsc);
  if (!row) {
    call("refund_discard", { requestKey: d.requestKey }).catch(() => {});
    return;
  }
  refreshList();
  if (await showResult(row)) return;
  // Back to where the refund was made, now showing it.
  if (transactionId) window.linkdeskShow("transactions", transactionId);
  else window.linkdeskShow("customers", customerId);
}

function summary(d) {
  return h("dl", { class: "summary", testid: "refund-summary" },
    h("dt", {}, "Environment"), h("dd", { testid: "refund-environment", class: d.environment.kind === "production" ? "prod-text" : "" }, `${d.environment.name} (${d.environment.kind})`),
    h("dt", {}, "Customer"), h("dd", {}, `${d.customerName} · ${d.customerId}`),
    h("dt", {}, "Account"), h("dd", { testid: "refund-account" }, [d.accountInstitution, d.accountLastFour ? `•••• ${d.accountLastFour}` : null, d.accountStatus].filter(Boolean).join(" · ")),
    d.transactionId ? [h("dt", {}, "From payment"), h("dd", { class: "mono" }, d.transactionId)] : null,
    h("dt", {}, "Refundable"), h("dd", { testid: "refund-cap" }, d.capCents !== null && d.capCents !== undefined ? `${formatCents(d.capCents)} — ${d.capNote}` : "Unknown: Linkdesk has seen none of this customer's succeeded payments"),
  );
}

/** Shows the outcome as it came; true when the user went on to another view. */
async function showResult(row) {
  const [title, text] = STATE_TEXT[row.state] || [`Refund ${row.state}`, "Link Money answered with this status."];
  const said = message(row);
  const go = await openDialog({
    title,
    body: [
      h("div", {}, badge(row.state, "refund-result-state")),
      h("p", { testid: "refund-result-text" }, text),
      h("dl", { class: "summary", testid: "refund-result" },
        h("dt", {}, "Amount"), h("dd", {}, formatCents(row.amountCents, row.currency)),
        h("dt", {}, "Customer"), h("dd", {}, row.customerName),
        h("dt", {}, "Refund ID"), h("dd", { class: "mono", testid: "refund-result-payment" }, row.paymentId ?? "—"),
        h("dt", {}, "Request key"), h("dd", { class: "mono" }, row.requestKey),
        said ? [h("dt", {}, "Message"), h("dd", { testid: "refund-result-error" }, [row.errorCode, said].filter(Boolean).join(": "))] : null,
      ),
    ],
    okLabel: row.paymentId ? "Open refund transaction" : "Open refund journal",
  });
  if (!go) return false;
  if (row.paymentId) window.linkdeskShow("transactions", row.paymentId);
  else window.linkdeskShow("refunds");
  return true;
}

// ---- the refund journal view ---------------------------------------------

let els = null;

export function init() {
  const all = h("input", { type: "checkbox", testid: "refunds-all" });
  all.addEventListener("change", refreshList);
  const threshold = h("input", { type: "text", testid: "threshold-input", class: "threshold", autocomplete: "off", inputmode: "decimal" });
  const save = h("button", { testid: "threshold-save", onclick: saveThreshold }, "Save");
  const unresolved = h("div", { class: "banner error", testid: "refunds-unresolved", hidden: true });
  const rows = h("tbody", {});
  const empty = h("div", { class: "empty", testid: "refunds-empty", hidden: true }, "No refunds yet.");
  $("#view-refunds").append(
    h("div", { class: "toolbar" },
      h("h1", { class: "view-title" }, "Refund journal"),
      h("label", { class: "switch" }, all, h("span", {}, "All environments")),
      h("div", { class: "toolbar-spacer" }),
      h("label", { class: "inline-label" }, "Type the amount again above $", threshold), save),
    unresolved,
    h("div", { class: "table-wrap" },
      h("table", { class: "grid", testid: "refund-table" },
        h("thead", {}, h("tr", {}, ["Opened", "Environment", "Customer", h("span", { class: "num" }, "Amount"), "State", "", "Refund ID", "Attempts", "Message"].map((x) => h("th", {}, x)))),
        rows),
      empty),
  );
  els = { all, threshold, unresolved, rows, empty };
  listen("refunds-resolved", () => { refreshList(); checkUnresolved(); toast("Refunds left open by the last run were looked at again"); }).catch(() => {});
  checkUnresolved();
}

async function checkUnresolved() {
  let open = [];
  try { open = await call("refund_unresolved"); } catch { return; }
  const old = document.querySelector("[data-testid=refunds-unresolved-notice]");
  if (old) old.remove();
  if (!open.length) return;
  const go = h("button", { class: "small", onclick: () => window.linkdeskShow("refunds") }, "Open the refund journal");
  $("#notices").append(h("div", { class: "banner error", testid: "refunds-unresolved-notice" },
    h("span", { class: "banner-text" }, `${open.length} refund${open.length === 1 ? "" : "s"} with an unknown outcome: Linkdesk resolves ${open.length === 1 ? "it" : "them"} with the same request key, never a second refund.`), go));
}

async function loadThreshold() {
  try {
    const cents = await call("refund_threshold");
    els.threshold.value = formatCents(cents).replace("$", "").replace(/,/g, "");
  } catch (err) {
    els.threshold.value = "";
    els.threshold.placeholder = err.message;
  }
}

async function saveThreshold() {
  try {
    const cents = await call("set_refund_threshold", { amount: els.threshold.value.trim() });
    toast(`Amounts above ${formatCents(cents)} must now be typed twice`);
    loadThreshold();
  } catch (err) {
    showError(err);
  }
}

export async function refreshList() {
  if (!els) return;
  let list;
  try {
    list = await call("refund_list", { all: els.all.checked });
  } catch (err) {
    clear(els.rows);
    els.empty.hidden = false;
    els.empty.textContent = err.message;
    return;
  }
  const open = list.filter((r) => OPEN_STATES.includes(r.state));
  els.unresolved.hidden = open.length === 0;
  els.unresolved.textContent = open.length
    ? `${open.length} refund${open.length === 1 ? " has" : "s have"} an unknown outcome. “Retry” sends it again with its own request key: Link Money refuses a second refund with the same key, so it is never refunded twice.`
    : "";
  fill(els.rows, list.map(row));
  els.empty.hidden = list.length > 0;
  els.empty.textContent = "No refunds yet.";
}

function row(r) {
  const retry = OPEN_STATES.includes(r.state)
    ? h("button", { class: "small", testid: "refund-retry", disabled: shell.writesLocked(), onclick: (e) => { e.stopPropagation(); retryRefund(r, e.target); } }, "Retry")
    : null;
  return h("tr", { testid: "refund-row", class: "static", dataset: { key: r.requestKey, state: r.state } },
    h("td", {}, dateTime(r.createdAt)),
    h("td", {}, r.envName),
    h("td", {}, h("a", { href: "#customers", class: "link", onclick: (e) => { e.preventDefault(); window.linkdeskShow("customers", r.customerId); } }, r.customerName || r.customerId)),
    h("td", { class: "num" }, formatCents(r.amountCents, r.currency)),
    h("td", {}, badge(r.state, "refund-state")),
    h("td", {}, retry),
    h("td", { class: "mono" }, r.paymentId
      ? h("a", { href: "#transactions", class: "link", onclick: (e) => { e.preventDefault(); window.linkdeskShow("transactions", r.paymentId); } }, r.paymentId)
      : "—"),
    h("td", { class: "num" }, String(r.attempts)),
    h("td", { title: message(r) }, message(r)),
  );
}

/** The latest failure while the outcome is open; what Link Money said once it is known. */
function message(r) {
  return (OPEN_STATES.includes(r.state) ? r.lastError : r.errorMessage) || "";
}

async function retryRefund(r, button) {
  button.disabled = true;
  button.textContent = "Sending…";
  try {
    const now = await call("refund_retry", { requestKey: r.requestKey });
    hideError();
    toast(`Refund ${now.state}`);
  } catch (err) {
    showError(err);
  }
  refreshList();
  checkUnresolved();
}

export function refresh() {
  loadThreshold();
  refreshList();
}

export function onKey() { return false; }
export function openRecord() { refresh(); }
