export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/** A figure for the UI: fixed digits, or exponent notation from a million up (toFixed would print 31 digits for 5.6e30). */
export const num = (x: number, digits = 2) => (Number.isFinite(x) ? (Math.abs(x) >= 1e6 ? x.toExponential(digits) : x.toFixed(digits)) : x > 0 ? '∞' : '—');

export const newId = () => (globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`);

/** FNV-1a over text or bytes, base 36: a stable id for the same content (a re-imported file, a reopened link). */
export function contentHash(data: string | Uint8Array): string {
  let h = 2166136261;
  if (typeof data === 'string') for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data.charCodeAt(i), 16777619) >>> 0;
  else for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i], 16777619) >>> 0;
  return h.toString(36);
}

/** `name`, or `name (2)`, `name (3)`… : the first that no other entry uses. */
export function uniqueName(name: string, taken: string[]): string {
  if (!taken.includes(name)) return name;
  let k = 2;
  while (taken.includes(`${name} (${k})`)) k++;
  return `${name} (${k})`;
}
