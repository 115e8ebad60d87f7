// Formatting for people: byte sizes, dates, durations, speeds and storage policies.

const UNITS = ["B", "KB", "MB", "GB", "TB", "PB"];

/** 1234567 → "1.2 MB" (decimal units, as disks are sold). */
export function bytes(n) {
  if (n == null || Number.isNaN(n)) return "—";
  let value = Number(n);
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

export function speed(bytesPerSecond) {
  return bytesPerSecond > 0 ? `${bytes(bytesPerSecond)}/s` : "—";
}

/** Seconds → "3 s", "2 min 5 s", "1 h 4 min". */
export function duration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return "—";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function date(iso) {
  if (!iso) return "—";
  const value = new Date(iso);
  return Number.isNaN(value.getTime()) ? "—" : dateFormat.format(value);
}

/** "in 3 days", "2 hours ago". */
export function relative(iso) {
  if (!iso) return "";
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  const steps = [[60, "second"], [3600, "minute"], [86400, "hour"], [604800, "day"], [2629800, "week"], [31557600, "month"], [Infinity, "year"]];
  const sizes = { second: 1, minute: 60, hour: 3600, day: 86400, week: 604800, month: 2629800, year: 31557600 };
  for (const [limit, unit] of steps) {
    if (Math.abs(seconds) < limit) return rtf.format(Math.round(seconds / sizes[unit]), unit);
  }
  return "";
}

/** What a durability policy means, in words. */
export function durability(policy) {
  if (!policy) return "—";
  if (policy === "none") return "one copy, no redundancy";
  let match = /^raid1\((\d+)\)$/.exec(policy);
  if (match) {
    const n = Number(match[1]);
    return n === 1 ? "one copy" : `${n} full copies on different storage; survives losing ${n - 1}`;
  }
  match = /^rs\((\d+),(\d+)\)$/.exec(policy);
  if (match) {
    return `split into ${match[1]} data + ${match[2]} parity shards; survives losing any ${match[2]}`;
  }
  return policy;
}

export function encryption(value) {
  if (value === "aes256-gcm") return "AES-256-GCM, encrypted before it is stored";
  if (value === "none") return "not encrypted";
  return value || "—";
}

export function percent(part, whole) {
  if (!whole) return 0;
  return Math.max(0, Math.min(100, (part / whole) * 100));
}
