// The transactions view (Link Money console): look up a transaction by ID (a
// payment's or refund's paymentId is its transaction ID), open its customer,
// refund it, and see the refunds Linkdesk made from it.

import { call } from "./api.js";
import { h, $ } from "./dom.js";
import { dateTime, clock } from "./format.js";
import { showError, hideError, badge, copyButton } from "./ui.js";
import { shell } from "./shell.js";
import { formatCents, field, lookupBar, recentList, fill } from "./money.js";
import { openRefund } from "./refunds.js";

const state = { id: null, seq: 0, env: null };
let els = null;

export function init() {
  const section = $("#view-transactions");
  const { input, bar } = lookupBar({ placeholder: "Transaction ID", testid: "transaction-lookup", onLookup: (id) => openRecord(id) });
  const detail = h("div", { class: "money-detail", testid: "transaction-detail", hidden: true });
  const recent = h("div", { class: "recent-pane" });
  section.append(
    h("div", { class: "toolbar" }, h("h1", { class: "view-title" }, "Transactions"), h("div", { class: "toolbar-spacer" }), bar),
    h("div", { class: "money-split" }, h("aside", { class: "recent-wrap" }, h("div", { class: "section-title" }, "Recent"), recent), detail),
  );
  els = { input, detail, recent };
}

async function loadRecent() {
  try {
    const items = await call("lm_recent", { limit: 50 });
    fill(els.recent, recentList(items, "transaction", (id) => openRecord(id)));
  } catch (err) {
    fill(els.recent, h("div", { class: "empty small" }, err.message));
  }
}

export async function openRecord(id) {
  const seq = ++state.seq;
  state.id = id;
  els.input.value = id;
  els.detail.hidden = false;
  fill(els.detail, h("div", { class: "empty", testid: "transaction-loading" }, `Looking up ${id}…`));
  try {
    const res = await call("lm_transaction", { id });
    if (seq !== state.seq) return;
    hideError();
    shell.setSource(res);
    render(res);
  } catch (err) {
    if (seq !== state.seq) return;
    fill(els.detail, h("div", { class: "empty", testid: "transaction-error" }, err.message));
    showError(err);
  }
  loadRecent();
}

function render(res) {
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
    class: "primary", testid: "transaction-refund", disabled: !!v.refundBlock || shell.writesLocked(),
    title: v.refundBlock || "Refund this payment", onclick: () => openRefund(t.customerId, t.transactionId),
  }, "Refund…");
  fill(els.detail,
    h("div", { class: "detail-head" },
      h("h2", {}, t.transactionType === "CREDIT" ? "Refund" : t.transactionType === "DEBIT" ? "Payment" : "Transaction",
        " ", h("span", { class: "amount", testid: "transaction-amount" }, formatCents(v.amountCents, v.currency))),
      badge(t.transactionStatus, "transaction-status"),
      h("span", { class: "spacer" }), refund),
    v.refundBlock ? h("div", { class: "block-note", testid: "refund-block" }, v.refundBlock) : null,
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
    t.transactionType === "DEBIT" || v.refunds.length ? [h("div", { class: "section-title" }, "Refunds made from Linkdesk"), refundsTable(v.refunds)] : null,
    res.source === "cache" ? h("div", { class: "banner offline", testid: "transaction-cached" }, `From the local cache${res.cachedAt ? `, fetched at ${clock(res.cachedAt)}` : ""}.`) : null,
  );
}

function refundsTable(rows) {
  if (!rows.length) return h("div", { class: "empty small", testid: "transaction-refunds-empty" }, "None");
  return h("div", { class: "table-wrap inline" }, h("table", { class: "grid", testid: "transaction-refunds" },
    h("thead", {}, h("tr", {}, ["When", h("span", { class: "num" }, "Amount"), "State", "Refund transaction", "Reference"].map((x) => h("th", {}, x)))),
    h("tbody", {}, rows.map((r) => h("tr", { testid: "transaction-refund-row", class: r.paymentId ? "" : "static", onclick: r.paymentId ? () => openRecord(r.paymentId) : undefined },
      h("td", {}, dateTime(r.createdAt)),
      h("td", { class: "num" }, formatCents(r.amountCents, r.currency)),
      h("td", {}, badge(r.state, "transaction-refund-state")),
      h("td", { class: "mono" }, r.paymentId ?? "—"),
      h("td", {}, r.clientReferenceId ?? ""),
    )))));
}

export function refresh() {
  const env = shell.info?.environment.id;
  if (state.env !== null && env !== state.env) {
    state.id = null;
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
      const b = els.detail.querySelector("[data-testid=transaction-refund]");
      if (b && !b.disabled) { b.click(); return true; }
      return false;
    }
    default: return false;
  }
}
