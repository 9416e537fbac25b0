// The window around the views: environment banner and switcher, the
// production lock, connection state, "Work offline" and start-up notices.

import { call, listen } from "./api.js";
import { h, clear, $ } from "./dom.js";
import { clock } from "./format.js";
import { showError, openDialog, toast } from "./ui.js";

export const shell = {
  info: null,
  workOffline: false,
  /** The last answer came from the cache because the service could not be reached. */
  offline: false,
  onChange: () => {},

  async init(onChange) {
    this.onChange = onChange;
    await this.reload();
    const toggle = $("#work-offline");
    toggle.checked = this.workOffline;
    toggle.addEventListener("change", async () => {
      await call("set_work_offline", { on: toggle.checked });
      this.workOffline = toggle.checked;
      onChange();
    });
    $("#env-switch").addEventListener("change", (e) => this.switchTo(e.target.value));
    $("#prod-unlock").addEventListener("click", () => this.unlock());
    $("#prod-lock").addEventListener("click", async () => { await call("lock_writes"); await this.reload(); onChange(); });
    for (const notice of this.info.notices) this.notice(notice);
    // The integrity check runs after start-up; a damaged cache is told then.
    listen("cache-damaged", (message) => this.notice(message)).catch(() => {});
    // A production unlock ends after 15 minutes without the person's action,
    // on a suspend or when the screen locks: keep the banner honest. These
    // polls are not the person's action and never keep it alive.
    const production = () => this.info?.environment.kind === "production";
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && production()) this.reload().then(() => onChange());
    });
    listen("writes-locked", async () => {
      if (!production()) return;
      await this.reload();
      onChange();
      toast("The screen was locked: production writes are locked again");
    }).catch(() => {});
    // The person's clicks and key presses are what keep an unlock alive; the
    // core hears of them at most once every 30 seconds.
    let noted = -Infinity;
    const noteActivity = () => {
      if (!production() || !this.info.writable) return;
      const now = performance.now();
      if (now - noted < 30000) return;
      noted = now;
      call("note_activity").catch(() => {});
    };
    window.addEventListener("pointerdown", noteActivity, true);
    window.addEventListener("keydown", noteActivity, true);
  },

  /** A notice the person dismisses. */
  notice(text) {
    const close = h("button", { class: "ghost banner-close", title: "Dismiss" }, "×");
    const el = h("div", { class: "banner notice", testid: "startup-notice" }, h("span", { class: "banner-text" }, text), close);
    close.addEventListener("click", () => el.remove());
    $("#notices").append(el);
  },

  async reload() {
    this.info = await call("app_info");
    this.workOffline = this.info.workOffline;
    this.renderSwitcher();
    this.renderEnv();
  },

  /** The switcher's list, from `app_info` (no keyring involved). */
  async reloadEnvironments() {
    this.info = await call("app_info");
    this.renderSwitcher();
  },

  renderSwitcher() {
    const select = clear($("#env-switch"));
    for (const env of this.info.environments) {
      select.append(h("option", { value: env.id }, `${env.name}${env.kind === "production" ? " (production)" : ""}`));
    }
    select.value = this.info.environment.id;
  },

  renderEnv() {
    const env = this.info.environment;
    const banner = $("#env-banner");
    banner.textContent = env.name;
    banner.title = `${env.kind === "production" ? "Production" : "Sandbox"} environment: ${env.name}`;
    banner.className = `env-banner ${env.kind}`;
    const production = env.kind === "production";
    document.body.classList.toggle("production", production);
    // Only a production environment has a lock that can end by itself: poll
    // then, and run no timer otherwise.
    // A lock that ended by itself re-draws the views: no write button stays
    // enabled (a refund's included) on a locked environment.
    if (production && !this.poll) {
      this.poll = setInterval(async () => {
        const was = this.info.writable;
        await this.reload().catch(() => {});
        if (was !== this.info.writable) this.onChange();
      }, 30000);
    }
    if (!production && this.poll) { clearInterval(this.poll); this.poll = null; }
    const prod = $("#prod-banner");
    prod.hidden = !production;
    prod.classList.toggle("unlocked", production && this.info.writable);
    $("#prod-text").textContent = this.info.writable
      ? `PRODUCTION — ${env.name} — writes unlocked (locks again after 15 minutes without a click or key press, on sleep or screen lock)`
      : `PRODUCTION — ${env.name} — read-only`;
    $("#prod-unlock").hidden = this.info.writable;
    $("#prod-lock").hidden = !this.info.writable;
  },

  async switchTo(id) {
    try {
      await call("switch_environment", { id });
      this.setConnecting();
      await this.reload();
      toast(`Now using ${this.info.environment.name}`);
      this.onChange();
    } catch (err) {
      showError(err);
      $("#env-switch").value = this.info.environment.id;
    }
  },

  async unlock() {
    const name = this.info.environment.name;
    const typed = h("input", { type: "text", testid: "unlock-name", autocomplete: "off", spellcheck: "false", placeholder: name });
    const ok = await openDialog({
      title: "Unlock writes in production?",
      body: [h("p", {}, `Cancel, status changes, proceed, create and refunds will act on real records in “${name}”. Type the environment's name to unlock them for this session.`), h("label", {}, "Environment name", typed)],
      okLabel: "Unlock writes", okClass: "danger",
      onOk: () => call("unlock_writes", { typed: typed.value }).then(() => true),
    });
    if (ok) {
      await this.reload();
      this.onChange();
    }
  },

  /** Writes are refused in a locked production environment. */
  writesLocked() {
    return this.info ? !this.info.writable : false;
  },

  /**
   * Why a write cannot be made now ("" when it can): production locked, Work
   * offline on, or the service not reachable (the last answer, or `res`,
   * came from the cache). Writes are never queued, so they are disabled with
   * this reason rather than failing after the person filled a form.
   */
  writeBlock(res) {
    if (this.writesLocked()) return "Production is locked: unlock writes first";
    if (this.workOffline) return "Working offline: changes are not queued. Turn off Work offline to make changes.";
    if (res ? res.offline : this.offline) return "Offline: the service cannot be reached and changes are not queued. They come back when it answers.";
    return "";
  },

  /**
   * A read failed: the top bar says how, never "Online". Errors of the
   * person's own input (not found, invalid) say nothing of the connection.
   */
  setFailed(err) {
    const words = {
      offline: "Offline", timeout: "Offline", server_error: "Service failing", bad_response: "Service failing",
      rate_limited: "Rate limited", tls: "Connection not trusted", unauthorized: "Credentials refused",
      forbidden: "Not allowed", keyring_unavailable: "No keyring",
    };
    const text = words[err.code];
    if (!text) return;
    const conn = $("#conn-status");
    conn.textContent = text;
    conn.className = "conn offline";
  },

  /** Another environment: nothing is known of its connection until it answers. */
  setConnecting() {
    const conn = $("#conn-status");
    conn.textContent = "Connecting…";
    conn.className = "conn";
    $("#offline-banner").hidden = true;
  },

  /** Shows where the last answer came from. */
  setSource(res) {
    const conn = $("#conn-status");
    const banner = $("#offline-banner");
    const was = this.offline;
    this.offline = !!res.offline;
    if (res.source === "cache" && res.reason && !res.offline) {
      // The service failed and the person chose the cached copy.
      conn.textContent = "Service failing";
      conn.className = "conn offline";
      const at = res.cachedAt ? ` fetched at ${clock(res.cachedAt)}` : "";
      const again = h("button", { class: "small", testid: "ask-service-again", onclick: () => this.onChange() }, "Ask the service again");
      banner.replaceChildren(
        h("span", { class: "banner-text" }, `The service failed: showing the local cache${at}, as you asked. It may be out of date.`),
        again);
      banner.hidden = false;
    } else if (res.offline) {
      conn.textContent = this.workOffline ? "Working offline" : "Offline";
      conn.className = "conn offline";
      const at = res.cachedAt ? ` cached at ${clock(res.cachedAt)}` : " from the local cache";
      banner.textContent = `Offline — showing data${at}. ${res.reason || ""}`.trim().replace(/\.?$/, ". Changes are turned off until the service answers.");
      banner.hidden = false;
    } else {
      conn.textContent = "Online";
      conn.className = "conn online";
      banner.hidden = true;
    }
    if (was !== this.offline) document.dispatchEvent(new CustomEvent("linkdesk-writable"));
  },
};
