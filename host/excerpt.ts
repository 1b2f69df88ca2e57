// How outside text appears in an error or a log line: bounded, with control characters escaped.
// A driver or a client chooses that text: echoed whole, a 4 MiB MAC address came back 4 MiB
// long, and a name holding terminal escapes rewrote the terminal of whoever printed it.

/** Characters that move a cursor, reorder text or break a line: C0 and C1 controls, DEL, bidi marks. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its job
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escapeChar = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** The first `max` characters of `text` (never half a surrogate pair), and whether it was cut. */
function head(text: string, max: number): { head: string; cut: boolean } {
  if (text.length <= max) return { head: text, cut: false };
  const cut = text.slice(0, max);
  return { head: /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut, cut: true };
}

const noteLength = (text: string): string => `… (${text.length} characters)`;

/** `text` with its unsafe characters escaped (`\u001b`), cut after `max` characters with its length noted. */
export function boundedText(text: string, max: number): string {
  const part = head(text, max);
  const safe = part.head.replace(UNSAFE, escapeChar);
  return part.cut ? `${safe}${noteLength(text)}` : safe;
}

/** A quoted excerpt of a value for an error message: `"02:42:xx…"… (4194304 characters)`. */
export function excerpt(text: string, max = 64): string {
  const part = head(text, max);
  const quoted = `"${part.head.replace(/["\\]/g, '\\$&').replace(UNSAFE, escapeChar)}"`;
  return part.cut ? `${quoted}${noteLength(text)}` : quoted;
}
