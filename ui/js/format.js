// Numbers, times and statuses as people read them.

// A bare POSIX locale (common on servers) formats numbers without grouping.
const locale = navigator.language && !/^(c|posix)$/i.test(navigator.language) ? navigator.language : "en-US";
const numberFmt = new Intl.NumberFormat(locale, { useGrouping: true });
const dateTimeFmt = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
const timeFmt = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" });
const shortFmt = new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "short" });
const secondsFmt = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "medium" });

export const num = (n) => numberFmt.format(n);

/** ISO 8601 → local date and time; anything unparseable is shown as it came. */
export function dateTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : dateTimeFmt.format(d);
}

/** A compact date and time for table cells ("12/2/26, 6:37 PM"); `dateTime` in its title. */
export function shortDateTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : shortFmt.format(d);
}

/** dateTime with seconds, where the order of events matters (the audit log). */
export function dateTimeSeconds(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : secondsFmt.format(d);
}

/** The time of day for today ("02:39 PM"); with the date for any other day, so old data never reads as today's. */
export function clock(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toDateString() === new Date().toDateString() ? timeFmt.format(d) : shortFmt.format(d);
}

/** "41–60 of 1,234" */
export function range(page, limit, count, total) {
  if (!total) return "0 of 0";
  const from = (page - 1) * limit + 1;
  if (count === 0) return `${num(from)}– of ${num(total)}`;
  return `${num(from)}–${num(from + count - 1)} of ${num(total)}`;
}

/** "12 min 30 s" until `iso`, or "expired". */
export function timeLeft(iso, now = Date.now()) {
  const ms = new Date(iso).getTime() - now;
  if (Number.isNaN(ms)) return "unknown";
  if (ms <= 0) return "expired";
  const s = Math.floor(ms / 1000);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${s % 60} s` : `${s} s`;
}

/** A CSS class for a status badge; unknown statuses get the neutral style. */
export function statusClass(status) {
  return "badge s-" + String(status || "").toLowerCase().replace(/[^a-z_]/g, "");
}
