// Money as people read it, from whole cents: never float arithmetic.

import { call } from "./api.js";
import { h, $, fill } from "./dom.js";
import { showError, hideError, freshness } from "./ui.js";
import { shell } from "./shell.js";

const grouping = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** 123456 → "$1,234.56"; another currency → "1,234.56 EUR"; null → "—". */
export function formatCents(cents, currency = "USD") {
  if (cents === null || cents === undefined) return "—";
  const negative = cents < 0;
  const abs = Math.abs(cents);
  const whole = grouping.format(Math.trunc(abs / 100));
  const frac = String(abs % 100).padStart(2, "0");
  const text = `${whole}.${frac}`;
  const signed = negative ? `-${text}` : text;
  return !currency || currency === "USD" ? (negative ? `-$${text}` : `$${text}`) : `${signed} ${currency}`;
}

/**
 * An amount as a person types it → whole cents: "12", "12.5", "12.50",
 * "$12.34", "1,000.00", ".5"; anything else → null (the core checks again).
 */
export function parseCents(text) {
  let t = String(text ?? "").trim().replace(/^\$\s*/, "");
  if (/^\d{1,3}(,\d{3})+(\.\d*)?$/.test(t)) t = t.replace(/,/g, "");
  if (t.startsWith(".")) t = `0${t}`;
  const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(t);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0"));
}

/** A definition-list row; empty values read "none". */
export function field(label, value, { mono = false, node = null, testid } = {}) {
  const shown = node ?? (value === null || value === undefined || value === ""
    ? h("span", { class: "null" }, "none")
    : h("span", { class: mono ? "value mono" : "value", testid }, String(value)));
  return [h("dt", {}, label), h("dd", {}, shown)];
}

/** A lookup box: an ID field and a button; `onLookup(id)` on Enter or click. */
export function lookupBar({ placeholder, testid, onLookup }) {
  const input = h("input", { type: "text", placeholder, "aria-label": placeholder, testid: `${testid}-input`, autocomplete: "off", spellcheck: "false", class: "lookup-input" });
  const go = () => { const id = input.value.trim(); if (id) onLookup(id); };
  input.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); go(); } });
  const button = h("button", { class: "primary", testid: `${testid}-go`, onclick: go }, "Look up");
  return { input, bar: h("div", { class: "toolbar" }, input, button) };
}

/** The "Recent" list of one kind of record, from the cache (works offline). */
export function recentList(items, kind, onOpen) {
  const mine = items.filter((i) => i.kind === kind);
  if (!mine.length) return h("div", { class: "empty small", testid: "recent-empty" }, "Nothing looked up yet.");
  return h("ul", { class: "recent", testid: "recent-list" },
    mine.map((i) => h("li", {},
      h("button", { class: "recent-item", testid: "recent-item", dataset: { id: i.id }, title: i.id, onclick: () => onOpen(i.id) },
        h("span", { class: "mono recent-id" }, i.id),
        h("span", { class: "recent-label" }, i.label || ""),
      ))));
}

/**
 * What the customer, transaction and payout views share: a title, a lookup
 * box, the "Recent" list of that kind (from the cache) and a detail area.
 * `command` fetches one record by ID; `render(res, detail)` draws it.
 */
/**
 * Counts the person's moves to another record or view: a refund dialog that
 * was still loading when they moved on is not opened over the new one.
 */
export const navigation = { epoch: 0 };

export function lookupView({ section, title, kind, placeholder, testid, command, render, refundButton }) {
  const state = { id: null, seq: 0, env: null };
  const { input, bar } = lookupBar({ placeholder, testid: `${testid}-lookup`, onLookup: (id) => open(id) });
  const detail = h("div", { class: "money-detail", testid: `${testid}-detail`, hidden: true });
  const recent = h("div", { class: "recent-pane" });
  $(section).append(
    h("div", { class: "toolbar" }, h("h1", { class: "view-title" }, title), h("div", { class: "toolbar-spacer" }), bar),
    h("div", { class: "money-split" }, h("aside", { class: "recent-wrap" }, h("div", { class: "section-title" }, "Recent"), recent), detail),
  );

  async function loadRecent() {
    try {
      const items = await call("lm_recent", { limit: 50 });
      fill(recent, recentList(items, kind, (id) => open(id)));
    } catch (err) {
      fill(recent, h("div", { class: "empty small" }, err.message));
    }
  }

  /** Looks one record up; `cached` answers from the local cache on purpose. */
  async function open(id, { cached = false } = {}) {
    const seq = ++state.seq;
    if (id !== state.id) navigation.epoch += 1;
    state.id = id;
    input.value = id;
    detail.hidden = false;
    fill(detail, h("div", { class: "empty", testid: `${testid}-loading`, role: "status" }, `Looking up ${id}…`));
    try {
      const res = await call(command, { id, cached });
      if (seq !== state.seq) return;
      hideError();
      shell.setSource(res);
      render(res, detail);
      // How old it is, and Refresh (R), above the record.
      detail.prepend(freshness(res, "Link Money", () => open(id), `${testid}-freshness`));
    } catch (err) {
      if (seq !== state.seq) return;
      fill(detail, h("div", { class: "empty", testid: `${testid}-error` }, err.message));
      shell.setFailed(err);
      showError(err, { retry: () => open(id), cached: () => open(id, { cached: true }) });
    }
    loadRecent();
  }

  function refresh() {
    const env = shell.info?.environment.id;
    if (state.env !== null && env !== state.env) {
      // Another environment: the record on screen belongs to the old one.
      state.id = null;
      detail.hidden = true;
      input.value = "";
    }
    state.env = env;
    loadRecent();
    if (state.id) open(state.id);
  }

  function onKey(e) {
    switch (e.key) {
      case "/": input.focus(); input.select(); return true;
      case "Escape": if (!detail.hidden) { detail.hidden = true; state.id = null; return true; } return false;
      case "R": if (state.id) { open(state.id); return true; } return false;
      case "r": {
        const b = refundButton && detail.querySelector(`[data-testid=${refundButton}]`);
        if (b && !b.disabled) { b.click(); return true; }
        return false;
      }
      default: return false;
    }
  }

  return { open, refresh, onKey };
}
