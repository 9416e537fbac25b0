// The payouts view (Link Money console): a payout by ID, with every field the
// documents list.

import { h, fill } from "./dom.js";
import { dateTime } from "./format.js";
import { badge, copyButton, cachedNote } from "./ui.js";
import { formatCents, field, lookupView } from "./money.js";

let view = null;

export function init() {
  view = lookupView({
    section: "#view-payouts", title: "Payouts", kind: "payout", placeholder: "Payout ID",
    testid: "payout", command: "lm_payout", render,
  });
}

export const openRecord = (id) => view.open(id);
export const refresh = () => view.refresh();
export const onKey = (e) => view.onKey(e);

function render(res, detail) {
  const p = res.data.payout;
  const amount = formatCents(res.data.amountCents, res.data.currency);
  fill(detail,
    h("div", { class: "detail-head" },
      h("h2", {}, "Payout ", h("span", { class: "amount", testid: "payout-amount" }, amount)),
      badge(p.payoutStatus, "payout-status")),
    h("dl", { class: "fields" },
      field("Payout ID", null, { node: h("span", { class: "value mono", testid: "payout-id" }, p.payoutId, " ", copyButton(p.payoutId)) }),
      field("Status", null, { node: badge(p.payoutStatus) }),
      field("Amount", amount),
      field("Descriptor", p.descriptor, { testid: "payout-descriptor" }),
      field("Client reference ID", p.clientReferenceId, { mono: true }),
      field("Created", dateTime(p.creationDate)),
    ),
    cachedNote(res, "payout-cached"),
  );
}
