// Money as people read it, from whole cents: never float arithmetic.

import { h } from "./dom.js";

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

/** "12", "12.5", "12.50" → cents; anything else → null (the core checks again). */
export function parseCents(text) {
  const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(String(text ?? "").trim());
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
  const input = h("input", { type: "text", placeholder, testid: `${testid}-input`, autocomplete: "off", spellcheck: "false", class: "lookup-input" });
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

/** Empties `el` and appends the children, flattened, skipping null and false
 * (the DOM's own `append` would print them as "null" and "[object …]"). */
export function fill(el, ...children) {
  while (el.firstChild) el.removeChild(el.firstChild);
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}
