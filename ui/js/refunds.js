// Refunds: the refund dialog (opened from a payment, or from a customer after
// picking one of their payments) and the refund journal view. The core checks
// the payment with Link Money, derives the request key from the payment and
// the refund's number, journals the refund before anything is sent and never
// sends a key twice, so this module only asks, shows and confirms.

import { call, listen } from "./api.js";
import { h, clear, $, fill } from "./dom.js";
import { dateTime, statusClass } from "./format.js";
import { showError, hideError, toast, badge, openDialog } from "./ui.js";
import { shell } from "./shell.js";
import { formatCents, parseCents, navigation } from "./money.js";

const DESCRIPTOR = /^[A-Za-z0-9 ]{0,80}$/;
const OPEN_STATES = ["SENDING", "UNRESOLVED"];

/** What each outcome means for the person, beside its headline. */
const STATE_TEXT = {
  AUTHORIZED: "Link Money accepted the refund; it will be scheduled with the payment provider.",
  PENDING: "Link Money accepted the refund and is deciding; the final status usually follows within 15 minutes.",
  SUCCEEDED: "The refund has settled: the money is back in the customer's account.",
  TERMINAL_FAILED: "Link Money refused the refund. Nothing was refunded, and it does not count against the payment.",
  SENT_UNCONFIRMED: "Link Money says this refund's key is already used, but no answer to it came back: an earlier attempt may have got there, or another seat or tool made this refund number of the payment, for an amount and with an outcome Linkdesk cannot know. It is never sent again. Find it in Link Money's records (or ask the other agents) and record what went out under it, at least this refund's own amount; until then this payment takes no further refund from here.",
  MADE_ELSEWHERE: "Link Money already had this payment's refund with this number, made elsewhere (another Linkdesk or another tool). Nothing was sent from here.",
  FAILED_NOT_SENT: "Nothing was refunded. You can open a new refund.",
  UNRESOLVED: "Link Money did not answer. Linkdesk keeps the refund and sends it again with the same key (never a second refund) — from the refund journal, or by itself at the next start.",
  SENDING: "Linkdesk is finding out the outcome with the refund's own key.",
  AWAITING_APPROVAL: "Above the team's approval threshold: requested, not sent. It appears in every other agent's Approvals view; once one of them approves it, this Linkdesk sends it with its claim and its key.",
  REJECTED: "Another agent rejected this refund. Nothing was sent.",
};

/** A refund's state as a badge a person can read; the raw state is kept in data-state. */
/** A refund's amount as known: what was sent, or for a refund number whose key another may have used, what a person recorded went out under it. */
export function refundAmountText(r) {
  if (r.state === "MADE_ELSEWHERE") return r.elsewhereCents != null ? `${formatCents(r.elsewhereCents)} (recorded)` : "unknown";
  if (r.state === "SENT_UNCONFIRMED") {
    return r.elsewhereCents != null ? `${formatCents(r.elsewhereCents)} (recorded)` : `${formatCents(r.amountCents, r.currency)} sent; what went out unknown`;
  }
  return formatCents(r.amountCents, r.currency);
}

/** A refund number Link Money holds for an amount nobody has recorded yet. */
const needsAmount = (r) => (r.state === "MADE_ELSEWHERE" || r.state === "SENT_UNCONFIRMED") && r.elsewhereCents == null;

export function refundBadge(r, testid) {
  const tone = {
    AUTHORIZED: "authorized", PENDING: "pending", SUCCEEDED: "succeeded", SENT_UNCONFIRMED: "pending",
    SENDING: "pending", UNRESOLVED: "pending", TERMINAL_FAILED: "terminal_failed", FAILED_NOT_SENT: "failed",
    MADE_ELSEWHERE: "canceled", CANCELED: "canceled", RETRYABLE_FAILED: "retryable_failed",
    AWAITING_APPROVAL: "pending", REJECTED: "canceled",
  }[r.state] || "other";
  return h("span", { class: statusClass(tone), testid, title: r.state, dataset: { state: r.state } }, r.headline || r.state);
}

// ---- the refund dialog ----------------------------------------------------

/**
 * Refunds one payment. From a transaction, `transactionId` names it; from a
 * customer, the person first picks one of the customer's payments (or pastes
 * a payment ID). The payment is re-read from Link Money by the core.
 */
/** True from a refund's open until its dialogs close: one refund at a time. */
let refunding = false;

/**
 * Opens a refund of a payment (or of one the customer picks). A second `r` or
 * click while one loads or is open does nothing: each open journals a draft,
 * and the window shows one refund at a time.
 */
export async function openRefund(customerId, transactionId) {
  if (refunding) return;
  refunding = true;
  let again = false;
  try {
    again = await refundOnce(customerId, transactionId);
  } finally {
    refunding = false;
  }
  if (again) openRefund(customerId, again);
}

/** One refund's dialogs; resolves with the payment to refund again, if the person goes on. */
async function refundOnce(customerId, transactionId) {
  const epoch = navigation.epoch;
  let d;
  if (transactionId) {
    try {
      d = await call("refund_open", { customerId: customerId || null, transactionId });
    } catch (err) {
      showError(err);
      return;
    }
  } else {
    d = await pickPayment(customerId);
    if (!d) return;
  }
  if (navigation.epoch !== epoch) {
    // The person moved to another record while it loaded: a refund dialog
    // over it could be taken for that record's.
    call("refund_discard", { requestKey: d.requestKey }).catch(() => {});
    toast("The refund was not opened: you moved to another record while it loaded. Open it again from its payment.");
    return;
  }
  const payment = d.transactionId;
  const amount = h("input", { type: "text", testid: "refund-amount", placeholder: "e.g. 12.50", autocomplete: "off", inputmode: "decimal" });
  const reference = h("input", { type: "text", testid: "refund-client-ref", placeholder: "Optional, e.g. the ticket number", autocomplete: "off", maxlength: 255 });
  const descriptor = h("input", { type: "text", testid: "refund-descriptor", placeholder: "Optional: letters, digits, spaces (80 at most)", autocomplete: "off", "aria-describedby": "refund-descriptor-count" });
  const retype = h("input", { type: "text", testid: "refund-amount-again", autocomplete: "off", inputmode: "decimal" });
  // What the typed amount is read as ("$1,000.00", "12.5"), and how much of
  // the descriptor is used: said as the person types, never cut silently.
  const normalised = h("span", { class: "field-note", testid: "refund-amount-normalised", id: "refund-amount-note", "aria-live": "polite" });
  const count = h("span", { class: "field-note", testid: "refund-descriptor-count", id: "refund-descriptor-count", "aria-live": "polite" });
  amount.setAttribute("aria-describedby", "refund-amount-note");
  const showAmount = () => {
    const typed = amount.value.trim();
    const c = parseCents(typed);
    const over = c !== null && c > d.capCents;
    normalised.classList.toggle("bad", !!typed && (c === null || c <= 0 || over));
    normalised.textContent = !typed ? ""
      : c === null || c <= 0 ? "Not an amount: type e.g. 12.50 or $1,000.00"
      : over ? `${formatCents(c)} is ${formatCents(c - d.capCents)} more than the ${formatCents(d.capCents)} that can be refunded`
      : `Refunds ${formatCents(c)}`;
  };
  const showCount = () => {
    const n = descriptor.value.trim().length;
    count.classList.toggle("bad", n > 80);
    count.textContent = n > 80 ? `${n} of 80 characters: ${n - 80} too many` : `${n} of 80 characters`;
  };
  amount.addEventListener("input", showAmount);
  descriptor.addEventListener("input", showCount);
  showCount();
  const form = h("div", { class: "refund-form" },
    h("label", {}, `Amount (USD), at most ${formatCents(d.capCents)}`, amount, normalised),
    h("label", {}, "Client reference ID", reference),
    h("label", {}, "Statement descriptor", descriptor, count));
  const head = summary(d);
  const review = h("div", { class: "refund-review", testid: "refund-review", hidden: true });
  let step = 1;
  let cents = null;

  const pending = openDialog({
    title: `Refund #${d.refundNumber} of a payment by ${d.customerName}`,
    body: [head, form, review],
    okLabel: "Review refund…",
    onOk: async () => {
      if (step === 1) {
        cents = parseCents(amount.value);
        if (cents === null || cents <= 0) throw new Error("Type an amount in US dollars with at most two decimals, e.g. 12.50 or $1,000.00.");
        if (cents > d.capCents) throw new Error(`At most ${formatCents(d.capCents)} can be refunded (${d.capNote}).`);
        if (descriptor.value.trim().length > 80) throw new Error(`The descriptor holds ${descriptor.value.trim().length} characters; 80 at most are sent. Shorten it.`);
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
          requestKey: d.requestKey, amount: centsText(cents),
          clientReferenceId: reference.value.trim() || null, softDescriptor: descriptor.value.trim() || null,
          retypedAmount: parseCents(retype.value) === null ? (retype.value.trim() || null) : centsText(parseCents(retype.value)),
        } });
      } finally {
        sending(false);
      }
    },
  });
  const dialog = $("#dialog");
  const ok = dialog.querySelector("[data-testid=confirm-ok]");
  let busy = false;
  // While it sends, the dialog itself keeps Cancel and Esc from closing it
  // (openDialog); `busy` keeps Ctrl+Enter from sending twice.
  // After the review, Ctrl+Enter sends: a deliberate key, never a second
  // plain Enter.
  const sendKey = (e) => {
    if (step !== 2 || busy || e.key !== "Enter" || !(e.ctrlKey || e.metaKey)) return;
    e.preventDefault();
    e.stopPropagation();
    ok.click();
  };
  dialog.addEventListener("keydown", sendKey, true);

  let change = null;
  function sending(on) {
    busy = on;
    if (change) change.disabled = on;
    retype.disabled = on;
    ok.textContent = on ? "Sending… do not close" : `Send refund of ${formatCents(cents)}`;
  }

  function showReview() {
    step = 2;
    form.hidden = true;
    head.hidden = true;
    const above = cents > d.thresholdCents;
    const approval = d.approvalThresholdCents != null && cents > d.approvalThresholdCents;
    const lead = h("p", { class: "review-lead", tabindex: "-1", testid: "refund-review-lead" }, "Check this refund. It moves real money to the customer's bank account. ", h("span", { class: "hint" }, above ? "" : `${approval ? "Request approval" : "Send it"} with the button or Ctrl+Enter.`));
    change = h("button", { class: "ghost small", type: "button", testid: "refund-change", onclick: () => { step = 1; form.hidden = false; head.hidden = false; review.hidden = true; ok.className = "primary"; ok.textContent = "Review refund…"; amount.focus(); } }, "Change");
    fill(review,
      lead,
      h("dl", { class: "summary", testid: "refund-confirm" },
        h("dt", {}, "Environment"), h("dd", { testid: "confirm-environment", class: d.environment.kind === "production" ? "prod-text" : "" }, `${d.environment.name} (${d.environment.kind})`),
        h("dt", {}, "Customer"), h("dd", { testid: "confirm-customer" }, d.customerName),
        h("dt", {}, "Account"), h("dd", { testid: "confirm-account" }, `•••• ${d.accountLastFour ?? "?"}`),
        h("dt", {}, "Payment"), h("dd", { testid: "confirm-payment", class: "mono" }, `${d.transactionId} · ${formatCents(d.paymentCents)}`),
        h("dt", {}, "Amount"), h("dd", { testid: "confirm-amount", class: "amount" }, formatCents(cents)),
        h("dt", {}, "Refundable"), h("dd", {}, `${formatCents(d.capCents)} — ${d.capNote}`),
        h("dt", {}, "Left after"), h("dd", { testid: "confirm-left" }, formatCents(d.capCents - cents)),
        h("dt", {}, "Descriptor"), h("dd", { testid: "confirm-descriptor" }, descriptor.value.trim() || "none"),
        h("dt", {}, "Reference"), h("dd", {}, reference.value.trim() || "none"),
      ),
      above ? h("label", { class: "retype" }, `Above ${formatCents(d.thresholdCents)}: type the amount again`, retype) : null,
      approval ? h("p", { class: "banner notice", testid: "refund-approval-note" }, `Above the team's approval threshold of ${formatCents(d.approvalThresholdCents)}: this refund will be requested for another agent's approval, not sent now.`) : null,
      change,
    );
    review.hidden = false;
    ok.className = "danger";
    ok.textContent = approval ? `Request approval of ${formatCents(cents)}` : `Send refund of ${formatCents(cents)}`;
    ok.title = "Ctrl+Enter";
    // Never the Send button: a second Enter must not send unseen.
    (above ? retype : lead).focus();
  }

  const row = await pending;
  dialog.removeEventListener("keydown", sendKey, true);
  if (!row) {
    call("refund_discard", { requestKey: d.requestKey }).catch(() => {});
    return;
  }
  refreshList();
  if (OPEN_STATES.includes(row.state)) checkUnresolved();
  const next = await showResult(row);
  if (next === "again") return payment;
  if (next) return;
  // Back to where the refund was made, now showing it.
  if (customerId) window.linkdeskShow("customers", customerId);
  else window.linkdeskShow("transactions", payment);
}

/** Whole cents as the amount text the core takes: 123456 → "1234.56". */
function centsText(cents) {
  return `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
}

/**
 * Asks for the amount of a refund Link Money says was made elsewhere, and
 * records it; resolves with the journal row, or undefined.
 */
async function recordElsewhere(r) {
  const amount = h("input", { type: "text", testid: "elsewhere-amount", placeholder: "e.g. 10.00", autocomplete: "off", inputmode: "decimal" });
  const unconfirmed = r.state === "SENT_UNCONFIRMED";
  const again = h("input", { type: "text", testid: "elsewhere-amount-again", autocomplete: "off", inputmode: "decimal" });
  return openDialog({
    title: unconfirmed ? `Refund #${r.refundNumber ?? "?"}: what went out?` : `Refund #${r.refundNumber ?? "?"} made elsewhere`,
    body: [
      h("p", {}, unconfirmed
        ? `Link Money holds a refund under this number's key: this one (${formatCents(r.amountCents, r.currency)}, its answer lost) or another seat's or tool's, perhaps larger. Until what went out under it is recorded, what is left of the payment is unknown and nothing more is refunded from here. Find it in Link Money's records or ask the other agents, then type what went out under it: at least this refund's ${formatCents(r.amountCents, r.currency)}, which may have.`
        : "Link Money already has this payment's refund with this number, made outside this Linkdesk. Until its amount is recorded, what is left of the payment is unknown and nothing more is refunded from here. Ask who made it, or look it up at Link Money, then type its amount."),
      h("label", {}, unconfirmed ? "What went out (USD)" : "Its amount (USD)", amount),
      h("label", {}, "Type it again (it is recorded once and cannot be changed)", again),
    ],
    okLabel: "Record amount",
    onOk: async () => {
      const typed = amount.value.trim();
      const cents = parseCents(typed);
      if (cents === null || cents <= 0) throw new Error("Type the amount in US dollars, e.g. 10.00.");
      if (parseCents(again.value.trim()) !== cents) throw new Error("The amount typed again does not match: check it against Link Money's records.");
      if (unconfirmed && cents < r.amountCents) throw new Error(`At least ${formatCents(r.amountCents)}: this refund itself may have gone out under its number.`);
      return call("refund_record_elsewhere", { requestKey: r.requestKey, amount: centsText(cents) });
    },
  });
}

/**
 * Asks which of the customer's payments to refund: the ones Linkdesk has seen,
 * each with what is left of it, and a field for any payment ID. Resolves with
 * the chosen payment's ID, or undefined.
 */
async function pickPayment(customerId) {
  // Resolves with the refund dialog's data for the chosen payment.
  let choices;
  try {
    choices = await call("refund_payments", { customerId });
  } catch (err) {
    showError(err);
    return undefined;
  }
  let chosen = null;
  const pasted = h("input", { type: "text", testid: "refund-payment-id", placeholder: "Payment (transaction) ID", autocomplete: "off", spellcheck: "false" });
  const list = choices.length
    ? h("div", { class: "choices", role: "radiogroup", "aria-label": "The customer's payments", testid: "refund-payment-choices" },
      choices.map((c) => {
        const radio = h("input", { type: "radio", name: "refund-payment", value: c.transactionId, disabled: !!c.refusal, testid: "refund-payment-choice" });
        radio.addEventListener("change", () => { chosen = c.transactionId; pasted.value = ""; });
        return h("label", { class: c.refusal ? "choice disabled" : "choice", title: c.refusal || "" },
          radio,
          h("span", { class: "mono choice-id" }, c.transactionId),
          h("span", { class: "num" }, formatCents(c.amountCents)),
          badge(c.status),
          h("span", { class: "choice-date" }, c.creationDate ? dateTime(c.creationDate) : ""),
          h("span", { class: "choice-note", testid: "refund-payment-note" }, c.refusal || `${formatCents(c.leftCents)} left to refund`));
      }))
    : h("p", { class: "empty small", testid: "refund-payment-none" }, "Linkdesk has not seen any payment of this customer yet.");
  pasted.addEventListener("input", () => {
    if (pasted.value.trim()) for (const r of document.querySelectorAll("[data-testid=refund-payment-choice]")) r.checked = false;
    chosen = null;
  });
  return openDialog({
    title: "Which payment is refunded?",
    body: [
      h("p", {}, "A refund returns money from one payment. Link Money offers no list of a customer's payments: these are the ones Linkdesk has seen. Pick one, or paste any other payment's ID; Linkdesk reads it again from Link Money before anything else."),
      list,
      h("label", {}, "Or a payment ID", pasted),
    ],
    okLabel: "Continue…",
    onOk: async () => {
      const id = pasted.value.trim() || chosen;
      if (!id) throw new Error("Pick a payment, or paste a payment ID.");
      // Refused here, the reason shows in this dialog, which stays open.
      return call("refund_open", { customerId, transactionId: id });
    },
  });
}

function summary(d) {
  return h("dl", { class: "summary", testid: "refund-summary" },
    h("dt", {}, "Environment"), h("dd", { testid: "refund-environment", class: d.environment.kind === "production" ? "prod-text" : "" }, `${d.environment.name} (${d.environment.kind})`),
    h("dt", {}, "Customer"), h("dd", {}, `${d.customerName} · ${d.customerId}`),
    h("dt", {}, "Account"), h("dd", { testid: "refund-account" }, [d.accountInstitution, d.accountLastFour ? `•••• ${d.accountLastFour}` : null, d.accountStatus].filter(Boolean).join(" · ")),
    h("dt", {}, "Payment"), h("dd", { testid: "refund-payment" }, h("span", { class: "mono" }, d.transactionId), ` · ${formatCents(d.paymentCents)} · ${d.paymentStatus}`, d.paymentDate ? ` · ${dateTime(d.paymentDate)}` : ""),
    h("dt", {}, "Refund"), h("dd", { testid: "refund-number" }, `#${d.refundNumber} of this payment`),
    h("dt", {}, "Refundable"), h("dd", { testid: "refund-cap" }, `${formatCents(d.capCents)} — ${d.capNote}`),
    d.madeElsewhere.length
      ? [h("dt", {}, "Made elsewhere"), h("dd", { class: "warn-text", testid: "refund-made-elsewhere" },
        `Refund ${d.madeElsewhere.map((n) => `#${n}`).join(", ")} of this payment ${d.madeElsewhere.length === 1 ? "was" : "were"} made elsewhere; the refundable amount counts what was recorded for ${d.madeElsewhere.length === 1 ? "it" : "them"}. Check with your team before refunding more.`)]
      : null,
  );
}

/**
 * Shows the outcome as it came. Resolves "again" when the person goes on as
 * the payment's next refund (after one made elsewhere), true when they went
 * on to another view, false otherwise.
 */
async function showResult(row) {
  const text = STATE_TEXT[row.state] || `Link Money answered with the status ${row.state}.`;
  const said = message(row);
  const elsewhere = needsAmount(row);
  // The outcome itself takes the focus, not a button: an Enter or Ctrl+Enter
  // pressed again just after sending must not close it unread.
  const go = await openDialog({
    cancelLabel: "Close",
    focus: "[data-testid=refund-result-text]",
    title: row.headline,
    body: [
      h("div", {}, refundBadge(row, "refund-result-state")),
      h("p", { testid: "refund-result-text", tabindex: "-1" }, text),
      h("dl", { class: "summary", testid: "refund-result" },
        h("dt", {}, "Amount"), h("dd", {}, row.state === "MADE_ELSEWHERE" ? "unknown (made elsewhere)" : refundAmountText(row)),
        h("dt", {}, "Customer"), h("dd", {}, row.customerName),
        h("dt", {}, "Payment"), h("dd", { class: "mono" }, `${row.transactionId ?? "—"} (refund #${row.refundNumber ?? "?"})`),
        h("dt", {}, "Refund ID"), h("dd", { class: "mono", testid: "refund-result-payment" }, row.paymentId ?? "—"),
        h("dt", {}, "Request key"), h("dd", { class: "mono" }, row.requestKey),
        said ? [h("dt", {}, "Message"), h("dd", { testid: "refund-result-error" }, [row.errorCode, said].filter(Boolean).join(": "))] : null,
      ),
    ],
    okLabel: elsewhere ? (row.state === "SENT_UNCONFIRMED" ? "Record what went out…" : "Record its amount…") : row.paymentId ? "Open refund transaction" : "Open refund journal",
  });
  if (!go) return false;
  if (elsewhere) {
    if (!await recordElsewhere(row)) return false;
    refreshList();
    // The payment's next refund, now that what is left is known again.
    const goOn = await openDialog({
      title: "Refund the payment further?",
      body: h("p", {}, `What went out as refund #${row.refundNumber ?? "?"} is recorded. Refund more of this payment, as refund #${(row.refundNumber ?? 0) + 1}?`),
      okLabel: `Go on as refund #${(row.refundNumber ?? 0) + 1}…`,
      cancelLabel: "Close",
      focusCancel: true,
    });
    return goOn ? "again" : false;
  }
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
  const head = h("thead", {});
  const empty = h("div", { class: "empty", testid: "refunds-empty", hidden: true }, "No refunds yet.");
  $("#view-refunds").append(
    h("div", { class: "toolbar" },
      h("h1", { class: "view-title" }, "Refund journal"),
      h("label", { class: "switch" }, all, h("span", {}, "All environments")),
      h("div", { class: "toolbar-spacer" }),
      h("label", { class: "inline-label" }, "Type the amount again above $", threshold), save),
    unresolved,
    h("div", { class: "table-wrap" },
      h("table", { class: "grid", testid: "refund-table" }, head, rows),
      empty),
  );
  els = { all, threshold, unresolved, head, rows, empty };
  // Closing while a refund is sending: say so, and let the person choose.
  listen("close-blocked", () => {
    if (document.querySelector("[data-testid=close-blocked-notice]")) return;
    const close = h("button", { class: "small", testid: "close-anyway", onclick: () => call("close_anyway").catch(showError) }, "Close anyway");
    const stay = h("button", { class: "ghost banner-close", title: "Keep the window open" }, "×");
    const el = h("div", { class: "banner error", testid: "close-blocked-notice", role: "alert" },
      h("span", { class: "banner-text" }, "A refund is being checked and sent right now. Wait for its outcome before closing. If you close anyway it is never sent twice: either it had not gone out yet (nothing refunded; open it again) or its outcome is found at the next start."), close, stay);
    stay.addEventListener("click", () => el.remove());
    // Above the refund dialog when it is open (a modal hides everything behind it).
    const dialog = $("#dialog");
    if (dialog.open) dialog.prepend(el);
    else $("#notices").append(el);
    close.focus();
  }).catch(() => {});
  // The start-up look may end before or after this window is ready.
  listen("refunds-resolved", (rows) => { refreshList(); checkUnresolved(); resolvedNotice(rows || []); }).catch(() => {});
  call("refund_startup_report").then((rows) => resolvedNotice(rows || [])).catch(() => {});
  checkUnresolved();
}

/** What became of the refunds the last run left open, until dismissed. */
let resolvedShown = false;
function resolvedNotice(rows) {
  if (!rows.length || resolvedShown) return;
  resolvedShown = true;
  const close = h("button", { class: "ghost banner-close", title: "Dismiss" }, "×");
  const lines = rows.map((r) => h("li", {}, `Refund of ${formatCents(r.amountCents, r.currency)} to ${r.customerName || r.customerId}${r.refundNumber ? ` (#${r.refundNumber} of payment ${String(r.transactionId).slice(0, 8)}…)` : ""}: ${r.headline}`));
  const el = h("div", { class: "banner notice", testid: "refunds-resolved-notice", role: "status" },
    h("div", { class: "banner-text" }, `Refunds the last run left open, looked at again:`, h("ul", {}, lines)), close);
  close.addEventListener("click", () => el.remove());
  $("#notices").append(el);
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
    const typed = parseCents(els.threshold.value);
    const cents = await call("set_refund_threshold", { amount: typed === null ? els.threshold.value.trim() : centsText(typed) });
    hideError();
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
  // The environment column only when refunds of every environment are listed.
  const withEnv = els.all.checked;
  fill(els.head, h("tr", {}, ["Opened", withEnv ? "Environment" : null, "Customer", "Payment", h("span", { class: "num" }, "Amount"), "State", "Refund ID", "Message"]
    .filter((x) => x !== null).map((x) => h("th", {}, x))));
  fill(els.rows, list.map((r) => row(r, withEnv)));
  els.empty.hidden = list.length > 0;
  els.empty.textContent = "No refunds yet.";
}

function row(r, withEnv) {
  const retry = OPEN_STATES.includes(r.state)
    ? h("button", { class: "small", testid: "refund-retry", disabled: shell.writesLocked() || shell.workOffline, title: shell.writesLocked() || shell.workOffline ? shell.writeBlock() : "Send again with the same request key (never a second refund)", onclick: (e) => { e.stopPropagation(); retryRefund(r, e.target); } }, "Retry")
    : null;
  const record = needsAmount(r)
    ? h("button", { class: "small", testid: "refund-record-elsewhere", onclick: async (e) => { e.stopPropagation(); if (await recordElsewhere(r)) { toast("Amount recorded"); refreshList(); } } }, "Record amount…")
    : null;
  const said = [r.attempts > 1 ? `${r.attempts} attempts` : null, message(r)].filter(Boolean).join(" · ");
  return h("tr", { testid: "refund-row", class: "static", dataset: { key: r.requestKey, state: r.state } },
    h("td", {}, dateTime(r.createdAt)),
    withEnv ? h("td", { title: r.envName }, r.envName) : null,
    h("td", {}, h("a", { href: "#customers", class: "link", onclick: (e) => { e.preventDefault(); window.linkdeskShow("customers", r.customerId); } }, r.customerName || r.customerId)),
    h("td", { class: "mono" }, r.transactionId
      ? h("a", { href: "#transactions", class: "link", title: r.transactionId, onclick: (e) => { e.preventDefault(); window.linkdeskShow("transactions", r.transactionId); } }, `${r.transactionId.slice(0, 8)}… #${r.refundNumber ?? "?"}`)
      : "—"),
    h("td", { class: "num" }, refundAmountText(r)),
    h("td", { class: "state" }, refundBadge(r, "refund-state"), retry || record ? " " : null, retry, record),
    h("td", { class: "mono" }, r.paymentId
      ? h("a", { href: "#transactions", class: "link", title: r.paymentId, onclick: (e) => { e.preventDefault(); window.linkdeskShow("transactions", r.paymentId); } }, `${r.paymentId.slice(0, 8)}…`)
      : "—"),
    h("td", { class: "message", title: said, testid: "refund-message" }, said),
  );
}

/** The latest failure while the outcome is open; what Link Money said once it is known. */
function message(r) {
  if (r.elsewhereCents != null && (r.state === "MADE_ELSEWHERE" || r.state === "SENT_UNCONFIRMED")) {
    return `Recorded: ${formatCents(r.elsewhereCents)} went out under refund #${r.refundNumber ?? "?"}.`;
  }
  return (OPEN_STATES.includes(r.state) ? r.lastError : r.errorMessage) || "";
}

async function retryRefund(r, button) {
  button.disabled = true;
  button.textContent = "Sending…";
  try {
    const now = await call("refund_retry", { requestKey: r.requestKey });
    hideError();
    toast(`Refund: ${now.headline}`);
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
