// The payouts view (Link Money console): a payout by ID, with every field the
// documents list.

import { call } from "./api.js";
import { h, $ } from "./dom.js";
import { dateTime, clock } from "./format.js";
import { showError, hideError, badge, copyButton } from "./ui.js";
import { shell } from "./shell.js";
import { formatCents, field, lookupBar, recentList, fill } from "./money.js";

const state = { id: null, seq: 0, env: null };
let els = null;

export function init() {
  const section = $("#view-payouts");
  const { input, bar } = lookupBar({ placeholder: "Payout ID", testid: "payout-lookup", onLookup: (id) => openRecord(id) });
  const detail = h("div", { class: "money-detail", testid: "payout-detail", hidden: true });
  const recent = h("div", { class: "recent-pane" });
  section.append(
    h("div", { class: "toolbar" }, h("h1", { class: "view-title" }, "Payouts"), h("div", { class: "toolbar-spacer" }), bar),
    h("div", { class: "money-split" }, h("aside", { class: "recent-wrap" }, h("div", { class: "section-title" }, "Recent"), recent), detail),
  );
  els = { input, detail, recent };
}

async function loadRecent() {
  try {
    const items = await call("lm_recent", { limit: 50 });
    fill(els.recent, recentList(items, "payout", (id) => openRecord(id)));
  } catch (err) {
    fill(els.recent, h("div", { class: "empty small" }, err.message));
  }
}

export async function openRecord(id) {
  const seq = ++state.seq;
  state.id = id;
  els.input.value = id;
  els.detail.hidden = false;
  fill(els.detail, h("div", { class: "empty" }, `Looking up ${id}…`));
  try {
    const res = await call("lm_payout", { id });
    if (seq !== state.seq) return;
    hideError();
    shell.setSource(res);
    const p = res.data.payout;
    fill(els.detail,
      h("div", { class: "detail-head" },
        h("h2", {}, "Payout ", h("span", { class: "amount", testid: "payout-amount" }, formatCents(res.data.amountCents, res.data.currency))),
        badge(p.payoutStatus, "payout-status")),
      h("dl", { class: "fields" },
        field("Payout ID", null, { node: h("span", { class: "value mono", testid: "payout-id" }, p.payoutId, " ", copyButton(p.payoutId)) }),
        field("Status", null, { node: badge(p.payoutStatus) }),
        field("Amount", formatCents(res.data.amountCents, res.data.currency)),
        field("Descriptor", p.descriptor, { testid: "payout-descriptor" }),
        field("Client reference ID", p.clientReferenceId, { mono: true }),
        field("Created", dateTime(p.creationDate)),
      ),
      res.source === "cache" ? h("div", { class: "banner offline", testid: "payout-cached" }, `From the local cache${res.cachedAt ? `, fetched at ${clock(res.cachedAt)}` : ""}.`) : null,
    );
  } catch (err) {
    if (seq !== state.seq) return;
    fill(els.detail, h("div", { class: "empty", testid: "payout-error" }, err.message));
    showError(err);
  }
  loadRecent();
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
    default: return false;
  }
}
