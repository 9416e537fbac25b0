// Shared pieces of the window: the error banner, toasts, badges, copy buttons
// and dialogs.

import { call } from "./api.js";
import { h, clear, $ } from "./dom.js";
import { statusClass, clock } from "./format.js";

let retryTimer = null;

/** Shows `{code, message}` in the error banner; a rate limit retries by itself. */
export function showError(err, { retry } = {}) {
  const banner = $("#error-banner");
  const text = banner.querySelector(".banner-text");
  clearTimeout(retryTimer);
  let message = `${err.message}`;
  banner.dataset.code = err.code || "internal";
  if (err.code === "rate_limited" && retry && err.retry_after_secs) {
    let left = err.retry_after_secs;
    const tick = () => {
      text.textContent = `${message} Retrying in ${left} s…`;
      if (left-- <= 0) { hideError(); retry(); return; }
      retryTimer = setTimeout(tick, 1000);
    };
    tick();
  } else {
    text.textContent = message;
  }
  banner.hidden = false;
}

export function hideError() {
  clearTimeout(retryTimer);
  $("#error-banner").hidden = true;
}

export function toast(message, kind = "") {
  const el = h("div", { class: `toast ${kind}`, testid: "toast" }, message);
  $("#toasts").append(el);
  setTimeout(() => el.remove(), 4000);
}

export function badge(status, testid) {
  return h("span", { class: statusClass(status), testid }, status ?? "—");
}

export function copyButton(text, label = "Copy") {
  return h("button", {
    class: "ghost copy", title: "Copy to clipboard", testid: "copy",
    onclick: async (e) => {
      e.stopPropagation();
      try { await call("copy_text", { text }); toast("Copied"); } catch (err) { showError(err); }
    },
  }, label);
}

/**
 * A modal dialog. `build(close)` returns the body; resolves with what `close`
 * was given (undefined on Esc or Cancel).
 */
export function openDialog({ title, body, okLabel = "OK", okClass = "primary", onOk, cancelLabel = "Cancel", focusCancel = false }) {
  const dialog = $("#dialog");
  return new Promise((resolve) => {
    let done = false;
    const finish = (value) => {
      if (done) return;
      done = true;
      dialog.close();
      clear(dialog);
      resolve(value);
    };
    const error = h("div", { class: "field-error", testid: "dialog-error", role: "alert" });
    const ok = h("button", { class: okClass, testid: "confirm-ok", type: "button" }, okLabel);
    ok.addEventListener("click", async () => {
      error.textContent = "";
      ok.disabled = true;
      try {
        const value = onOk ? await onOk() : true;
        if (value !== undefined) finish(value);
      } catch (err) {
        error.textContent = err.message || String(err);
      } finally {
        ok.disabled = false;
      }
    });
    // A dialog that only tells something has one button (cancelLabel null).
    const cancel = cancelLabel === null ? null
      : h("button", { class: "ghost", testid: "confirm-cancel", type: "button", onclick: () => finish(undefined) }, cancelLabel);
    clear(dialog).append(
      h("div", { class: "dialog-body" }, h("h3", { id: "dialog-title" }, title), body, error),
      h("div", { class: "dialog-actions" }, cancel, ok),
    );
    // A dialog closed just before this one opened fires its close event late:
    // only a close of this dialog ends it.
    dialog.onclose = () => { if (!dialog.open) finish(undefined); };
    // Enter in a field does what the primary button does, as in any form.
    dialog.onkeydown = (e) => {
      if (e.key === "Tab") { trapFocus(dialog, e); return; }
      if (e.key !== "Enter" || e.isComposing || e.target.tagName !== "INPUT" || ok.disabled) return;
      if (["checkbox", "radio"].includes(e.target.type)) return;
      e.preventDefault();
      ok.click();
    };
    dialog.showModal();
    const first = dialog.querySelector("input:not([disabled]), textarea, select");
    ((focusCancel && cancel) || first || ok).focus();
  });
}

/** Tab and Shift+Tab go round the dialog's own controls, never behind it. */
function trapFocus(dialog, e) {
  const items = [...dialog.querySelectorAll("button, input, select, textarea, a[href], [tabindex]:not([tabindex='-1'])")]
    .filter((el) => !el.disabled && el.offsetParent !== null);
  if (!items.length) return;
  const first = items[0], last = items[items.length - 1];
  const at = items.indexOf(document.activeElement);
  if (e.shiftKey && (at <= 0)) { last.focus(); e.preventDefault(); }
  else if (!e.shiftKey && (at === -1 || at === items.length - 1)) { first.focus(); e.preventDefault(); }
}

export function confirmDialog(title, message, okLabel = "Confirm", okClass = "primary") {
  return openDialog({ title, body: h("p", {}, message), okLabel, okClass });
}

/** "From the local cache, fetched at 14:02." under a record answered offline. */
export function cachedNote(res, testid) {
  if (res.source !== "cache") return null;
  return h("div", { class: "banner offline", testid }, `From the local cache${res.cachedAt ? `, fetched at ${clock(res.cachedAt)}` : ""}.`);
}
