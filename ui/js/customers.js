// The customers view (Link Money console): look up a customer by ID, see their
// accounts and verified accounts, and refund them.

import { call } from "./api.js";
import { h, $ } from "./dom.js";
import { dateTime, clock } from "./format.js";
import { showError, hideError, badge, copyButton } from "./ui.js";
import { shell } from "./shell.js";
import { formatCents, field, lookupBar, recentList, fill } from "./money.js";
import { openRefund } from "./refunds.js";

const state = { id: null, res: null, seq: 0, env: null };
let els = null;

export function init() {
  const section = $("#view-customers");
  const { input, bar } = lookupBar({ placeholder: "Customer ID", testid: "customer-lookup", onLookup: (id) => openRecord(id) });
  const detail = h("div", { class: "money-detail", testid: "customer-detail", hidden: true });
  const recent = h("div", { class: "recent-pane" });
  section.append(
    h("div", { class: "toolbar" }, h("h1", { class: "view-title" }, "Customers"), h("div", { class: "toolbar-spacer" }), bar),
    h("div", { class: "money-split" }, h("aside", { class: "recent-wrap" }, h("div", { class: "section-title" }, "Recent"), recent), detail),
  );
  els = { input, detail, recent };
}

async function loadRecent() {
  try {
    const items = await call("lm_recent", { limit: 50 });
    fill(els.recent, recentList(items, "customer", (id) => openRecord(id)));
  } catch (err) {
    fill(els.recent, h("div", { class: "empty small" }, err.message));
  }
}

export async function openRecord(id) {
  const seq = ++state.seq;
  state.id = id;
  els.input.value = id;
  els.detail.hidden = false;
  fill(els.detail, h("div", { class: "empty", testid: "customer-loading" }, `Looking up ${id}…`));
  try {
    const res = await call("lm_customer", { id });
    if (seq !== state.seq) return;
    hideError();
    state.res = res;
    shell.setSource(res);
    render(res);
  } catch (err) {
    if (seq !== state.seq) return;
    fill(els.detail, h("div", { class: "empty", testid: "customer-error" }, err.message));
    showError(err);
  }
  loadRecent();
}

function render(res) {
  const v = res.data;
  const c = v.customer;
  const preferred = c.accountDetails;
  const refund = h("button", {
    class: "primary", testid: "customer-refund", disabled: !!v.refundBlock || shell.writesLocked(),
    title: v.refundBlock || "Refund this customer", onclick: () => openRefund(c.id, null),
  }, "Refund…");
  fill(els.detail,
    h("div", { class: "detail-head" },
      h("h2", { testid: "customer-name" }, v.name), badge(c.customerStatus, "customer-status"),
      h("span", { class: "spacer" }), refund),
    v.refundBlock ? h("div", { class: "block-note", testid: "refund-block" }, v.refundBlock) : null,
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
    res.source === "cache" ? h("div", { class: "banner offline", testid: "customer-cached" }, `From the local cache${res.cachedAt ? `, fetched at ${clock(res.cachedAt)}` : ""}.`) : null,
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

export function refresh() {
  const env = shell.info?.environment.id;
  if (state.env !== null && env !== state.env) {
    state.id = null;
    state.res = null;
    els.detail.hidden = true;
    els.input.value = "";
  }
  state.env = env;
  loadRecent();
  if (state.id) openRecord(state.id);
}

export function onKey(e) {
  switch (e.key) {
    case "/": els.input.focus(); els.input.select(); return true;
    case "Escape": if (!els.detail.hidden) { els.detail.hidden = true; state.id = null; return true; } return false;
    case "r": {
      const b = els.detail.querySelector("[data-testid=customer-refund]");
      if (b && !b.disabled) { b.click(); return true; }
      return false;
    }
    default: return false;
  }
}
