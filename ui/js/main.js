// Linkdesk's window: start-up, the views and the keyboard.

import { $, isTyping } from "./dom.js";
import { hideError, showError } from "./ui.js";
import { shell } from "./shell.js";
import * as rtl from "./rtl.js";

const views = { rtls: rtl };
let current = "rtls";

function refreshAll() {
  views[current].refresh();
}

document.addEventListener("keydown", (e) => {
  if ($("#dialog").open) return; // the dialog handles its own keys
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k") {
    e.preventDefault();
    $("#goto-open").click();
    return;
  }
  if (e.key === "Escape") {
    if (isTyping(e)) { e.target.blur(); e.preventDefault(); return; }
    if (!$("#error-banner").hidden) { hideError(); return; }
  }
  if (isTyping(e) || e.ctrlKey || e.metaKey || e.altKey) return;
  if (views[current].onKey(e)) e.preventDefault();
});

async function start() {
  $("#error-banner .banner-close").addEventListener("click", hideError);
  try {
    await shell.init(refreshAll);
  } catch (err) {
    showError(err);
    return;
  }
  rtl.init();
  await rtl.loadBillers();
  await rtl.load();
}

start();
