// The transactions view (Link Money console): look up a transaction by ID (a
// payment's or refund's paymentId is its transaction ID), open its customer,
// refund it, and see the refunds Linkdesk made from it.

import { h, fill } from "./dom.js";
import { dateTime } from "./format.js";
import { badge, copyButton, cachedNote } from "./ui.js";
import { shell } from "./shell.js";
import { formatCents, field, lookupView } from "./money.js";
import { openRefund, refundBadge, refundAmountText } from "./refunds.js";

let view = null;

export function init() {
  view = lookupView({
    section: "#view-transactions", title: "Transactions", kind: "transaction", placeholder: "Transaction ID",
    testid: "transaction", command: "lm_transaction", render, refundButton: "transaction-refund",
  });
}

export const openRecord = (id) => view.open(id);
export const refresh = () => view.refresh();
export const onKey = (e) => view.onKey(e);

function render(res, detail) {
  const v = res.data;
  const t = v.transaction;
  const account = t.accountDetails;
  const customer = t.customerId
    ? h("a", { href: "#customers", class: "link", testid: "transaction-customer-link", onclick: (e) => { e.preventDefault(); window.linkdeskShow("customers", t.customerId); } },
      v.customerName ? `${v.customerName} (${t.customerId})` : t.customerId)
    : null;
  const failure = t.transactionFailureReason
    ? [t.transactionFailureReason.code, t.transactionFailureReason.description].filter(Boolean).join(": ")
    : null;
  const refund = h("button", {
    class: "primary", testid: "transaction-refund", disabled: !!(v.refundBlock || shell.writeBlock(res)),
    title: v.refundBlock || shell.writeBlock(res) || "Refund this payment (r)", "aria-keyshortcuts": "R", onclick: () => openRefund(null, t.transactionId),
  }, "Refund…");
  fill(detail,
    h("div", { class: "detail-head" },
      h("h2", {}, t.transactionType === "CREDIT" ? "Refund" : t.transactionType === "DEBIT" ? "Payment" : "Transaction",
        " ", h("span", { class: "amount", testid: "transaction-amount" }, formatCents(v.amountCents, v.currency))),
      badge(t.transactionStatus, "transaction-status"),
      h("span", { class: "spacer" }), refund),
    v.refundBlock || shell.writeBlock(res) ? h("div", { class: "block-note", testid: "refund-block" }, v.refundBlock || shell.writeBlock(res)) : null,
    h("dl", { class: "fields" },
      field("Transaction ID", null, { node: h("span", { class: "value mono", testid: "transaction-id" }, t.transactionId, " ", copyButton(t.transactionId)) }),
      field("Type", t.transactionType, { testid: "transaction-type" }),
      field("Status", null, { node: badge(t.transactionStatus) }),
      field("Amount", formatCents(v.amountCents, v.currency)),
      field("Customer", null, { node: customer }),
      field("Account", account ? [account.financialInstitutionName, account.accountType, account.accountLastFourDigits ? `•••• ${account.accountLastFourDigits}` : null].filter(Boolean).join(" · ") : null, { testid: "transaction-account" }),
      field("Descriptor", t.descriptor, { testid: "transaction-descriptor" }),
      field("Client reference ID", t.clientReferenceId, { mono: true, testid: "transaction-client-ref" }),
      field("Settlement date", t.settlementDate ? dateTime(t.settlementDate) : null),
      field("Created", dateTime(t.creationDate)),
      field("Failure reason", failure, { testid: "transaction-failure" }),
    ),
    t.transactionType === "DEBIT" || v.refunds.length ? [h("div", { class: "section-title" }, "Refunds of this payment"), refundedLine(v), refundsTable(v.refunds)] : null,
    cachedNote(res, "transaction-cached"),
  );
}

/**
 * "$5.00 of $18.14 refunded · $13.14 left", as the journal counts it; never a
 * "left" figure while a refund made elsewhere has no recorded amount.
 */
function refundedLine(v) {
  if (v.transaction.transactionType !== "DEBIT" || v.amountCents == null) return null;
  // Refunds sent from here whose outcome is not confirmed and not yet
  // recorded: their own amounts may have gone out, so they are in the figure
  // as "at least".
  const unconfirmed = (v.refunds || [])
    .filter((r) => r.state === "SENT_UNCONFIRMED" && r.elsewhereCents == null)
    .reduce((sum, r) => sum + (r.amountCents || 0), 0);
  const left = v.leftCents != null
    ? `${formatCents(v.leftCents)} left`
    : v.transaction.transactionStatus === "SUCCEEDED" ? "what is left is unknown (a refund number has no recorded amount)" : "not refundable";
  const refunded = unconfirmed > 0 ? `at least ${formatCents(v.refundedCents + unconfirmed)}` : formatCents(v.refundedCents);
  return h("p", { class: "refunded-line", testid: "transaction-refunded" },
    `${refunded} of ${formatCents(v.amountCents)} refunded · ${left}`);
}

function refundsTable(rows) {
  if (!rows.length) return h("div", { class: "empty small", testid: "transaction-refunds-empty" }, "None");
  return h("div", { class: "table-wrap inline" }, h("table", { class: "grid", testid: "transaction-refunds" },
    h("thead", {}, h("tr", {}, ["When", "#", h("span", { class: "num" }, "Amount"), "State", "Refund transaction", "Reference"].map((x) => h("th", {}, x)))),
    h("tbody", {}, rows.map((r) => h("tr", { testid: "transaction-refund-row", class: r.paymentId ? "" : "static", onclick: r.paymentId ? () => openRecord(r.paymentId) : undefined },
      h("td", {}, dateTime(r.createdAt)),
      h("td", {}, r.refundNumber ? `#${r.refundNumber}` : "—"),
      h("td", { class: "num" }, refundAmountText(r)),
      h("td", {}, refundBadge(r, "transaction-refund-state")),
      h("td", { class: "mono" }, r.paymentId ?? "—"),
      h("td", {}, r.clientReferenceId ?? ""),
    )))));
}
