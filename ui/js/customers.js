// The customers view (Link Money console): look up a customer by ID, see their
// accounts and verified accounts, and refund them.

import { h, fill } from "./dom.js";
import { dateTime } from "./format.js";
import { badge, copyButton, cachedNote } from "./ui.js";
import { shell } from "./shell.js";
import { formatCents, field, lookupView } from "./money.js";
import { openRefund } from "./refunds.js";

let view = null;

export function init() {
  view = lookupView({
    section: "#view-customers", title: "Customers", kind: "customer", placeholder: "Customer ID",
    testid: "customer", command: "lm_customer", render, refundButton: "customer-refund",
  });
}

export const openRecord = (id) => view.open(id);
export const refresh = () => view.refresh();
export const onKey = (e) => view.onKey(e);

function render(res, detail) {
  const v = res.data;
  const c = v.customer;
  const preferred = c.accountDetails;
  const refund = h("button", {
    class: "primary", testid: "customer-refund", disabled: !!(v.refundBlock || shell.writeBlock(res)),
    title: v.refundBlock || shell.writeBlock(res) || "Refund one of this customer's payments (r)", "aria-keyshortcuts": "R", onclick: () => openRefund(c.id, null),
  }, "Refund…");
  fill(detail,
    h("div", { class: "detail-head" },
      h("h2", { testid: "customer-name" }, v.name), badge(c.customerStatus, "customer-status"),
      h("span", { class: "spacer" }), refund),
    v.refundBlock || shell.writeBlock(res) ? h("div", { class: "block-note", testid: "refund-block" }, v.refundBlock || shell.writeBlock(res)) : null,
    h("dl", { class: "fields" },
      field("Customer ID", null, { node: h("span", { class: "value mono" }, c.id, " ", copyButton(c.id)) }),
      field("First name", c.firstName),
      field("Last name", c.lastName),
      field("Email", c.email, { testid: "customer-email" }),
      field("Status", null, { node: badge(c.customerStatus) }),
      field("Created", dateTime(c.creationDate)),
      field("Preferred account", preferred ? accountText(preferred) : null, { testid: "customer-preferred" }),
    ),
    h("div", { class: "section-title" }, "Accounts"),
    accountsTable(v.accounts, v.accountsNote),
    h("div", { class: "section-title" }, "Verified accounts"),
    verifiedTable(v.verifiedAccounts, v.verifiedNote),
    h("div", { class: "section-title" }, "Transactions seen by Linkdesk"),
    transactionsTable(v.transactions),
    cachedNote(res, "customer-cached"),
  );
}

function accountText(a) {
  const parts = [a.financialInstitutionName, a.accountType, a.accountLastFourDigits ? `•••• ${a.accountLastFourDigits}` : null, a.accountStatus];
  return parts.filter(Boolean).join(" · ");
}

function accountsTable(accounts, note) {
  if (!accounts) return h("div", { class: "empty small", testid: "accounts-note" }, note || "Not available");
  if (!accounts.length) return h("div", { class: "empty small", testid: "accounts-note" }, "No accounts on record");
  return h("div", { class: "table-wrap inline" }, h("table", { class: "grid", testid: "accounts-table" },
    h("thead", {}, h("tr", {}, ["Institution", "Last four", "Type", "Status", "Preferred", "Routing number", "Account ID", "Linked"].map((t) => h("th", {}, t)))),
    h("tbody", {}, accounts.map((a) => h("tr", { testid: "account-row", class: "static" },
      h("td", {}, a.financialInstitutionName ?? "—"),
      h("td", { class: "mono" }, a.accountLastFourDigits ?? "—"),
      h("td", {}, a.accountType ?? "—"),
      h("td", {}, badge(a.accountStatus, "account-status")),
      h("td", {}, a.preferred === true ? "✓ preferred" : a.preferred === false ? "" : "—"),
      h("td", { class: "mono" }, a.routingNumber ?? "—"),
      h("td", { class: "mono" }, a.accountId ?? "—"),
      h("td", {}, dateTime(a.creationDate)),
    )))));
}

function verifiedTable(accounts, note) {
  if (!accounts) return h("div", { class: "empty small", testid: "verified-note" }, note || "Not available");
  if (!accounts.length) return h("div", { class: "empty small", testid: "verified-note" }, "No verified accounts");
  const rows = [];
  for (const a of accounts) {
    const networks = a.paymentNetworks.length ? a.paymentNetworks : [{}];
    for (const n of networks) {
      rows.push(h("tr", { testid: "verified-row", class: "static" },
        h("td", { class: "mono" }, a.depositAccount?.accountId ?? "—"),
        h("td", { class: "mono" }, a.depositAccount?.accountNumberDisplay ?? "—"),
        h("td", { class: "mono" }, n.bankId ?? "—"),
        h("td", { class: "mono" }, n.identifier ?? "—"),
        h("td", {}, n.type ?? "—"),
      ));
    }
  }
  return h("div", { class: "table-wrap inline" }, h("table", { class: "grid", testid: "verified-table" },
    h("thead", {}, h("tr", {}, ["Account ID", "Number", "Routing (bank ID)", "Account number", "Network"].map((t) => h("th", {}, t)))),
    h("tbody", {}, rows)));
}

function transactionsTable(lines) {
  if (!lines.length) return h("div", { class: "empty small", testid: "customer-transactions-empty" }, "None yet: transactions you open are listed here.");
  return h("div", { class: "table-wrap inline" }, h("table", { class: "grid", testid: "customer-transactions" },
    h("thead", {}, h("tr", {}, ["Transaction", "Type", "Status", h("span", { class: "num" }, "Amount"), "Created"].map((t) => h("th", {}, t)))),
    h("tbody", {}, lines.map((t) => h("tr", {
      testid: "customer-transaction-row", dataset: { id: t.transactionId },
      onclick: () => window.linkdeskShow("transactions", t.transactionId),
    },
      h("td", { class: "mono" }, t.transactionId),
      h("td", {}, t.transactionType ?? "—"),
      h("td", {}, badge(t.transactionStatus)),
      h("td", { class: "num" }, formatCents(t.amountCents, t.currency)),
      h("td", {}, dateTime(t.creationDate)),
    )))));
}
