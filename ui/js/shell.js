// The window around the views: environment banner, connection state, the
// "Work offline" switch and start-up notices.

import { call } from "./api.js";
import { h, $ } from "./dom.js";
import { clock } from "./format.js";

export const shell = {
  info: null,
  workOffline: false,

  async init(onChange) {
    this.info = await call("app_info");
    this.workOffline = this.info.workOffline;
    this.renderEnv();
    const toggle = $("#work-offline");
    toggle.checked = this.workOffline;
    toggle.addEventListener("change", async () => {
      await call("set_work_offline", { on: toggle.checked });
      this.workOffline = toggle.checked;
      onChange();
    });
    for (const notice of this.info.notices) {
      const close = h("button", { class: "ghost banner-close", title: "Dismiss" }, "×");
      const el = h("div", { class: "banner notice", testid: "startup-notice" }, h("span", { class: "banner-text" }, notice), close);
      close.addEventListener("click", () => el.remove());
      $("#notices").append(el);
    }
  },

  renderEnv() {
    const env = this.info.environment;
    const banner = $("#env-banner");
    banner.textContent = env.name;
    banner.className = `env-banner ${env.kind}`;
    document.body.classList.toggle("production", env.kind === "production");
  },

  /** Writes are refused in a locked production environment (see Settings). */
  writesLocked() {
    return false;
  },

  /** Shows where the last answer came from. */
  setSource(res) {
    const conn = $("#conn-status");
    const banner = $("#offline-banner");
    if (res.source === "cache") {
      conn.textContent = this.workOffline ? "Working offline" : "Offline";
      conn.className = "conn offline";
      const at = res.cachedAt ? ` cached at ${clock(res.cachedAt)}` : " from the local cache";
      banner.textContent = `Offline — showing data${at}. ${res.reason || ""}`.trim();
      banner.hidden = false;
    } else {
      conn.textContent = "Online";
      conn.className = "conn online";
      banner.hidden = true;
    }
  },
};
