/** Text helpers shared by every layer. */

/** Orders strings by their UTF-16 code units (locale-independent, so results never depend on the machine). */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Characters a message never shows as they are: C0 and C1 controls, DEL, the line and paragraph
 * separators, and the bidirectional marks and overrides that would reorder what a terminal shows.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** How many characters of a value a message shows at most between its quotes. */
export const QUOTED_MAX = 80;

/**
 * A value from an input (a cell, a header, an option) as a message quotes it: in double quotes,
 * with `"`, `\` and every hidden character escaped as in JSON (`\n`, `\u202e`), and cut to
 * QUOTED_MAX characters with `…` and the value's length when it is longer; so that no value can
 * end a message line, forge another, or fill a screen.
 */
export function quoted(text: string, max = QUOTED_MAX): string {
  const chars = [...text];
  const pieces = chars.map((ch) => (ch === '"' ? '\\"' : ch === '\\' ? '\\\\' : HIDDEN.test(ch) ? escapeChar(ch) : ch));
  const whole = pieces.join('');
  if (whole.length <= max) return `"${whole}"`;
  let body = '';
  for (const piece of pieces) {
    if (body.length + piece.length > max - 1) break;
    body += piece;
  }
  return `"${body}…" (${chars.length} characters)`;
}

function escapeChar(ch: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };
  return named[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** C0 and C1 controls, DEL, and the Unicode line and paragraph separators. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const BREAKS_A_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * A stored or received text (a tenant name, an address, a server reply, a reason) as the report
 * shows it: as it is, or as a JSON string (every control character escaped as in JSON) when it
 * holds one, so that no value can end a report line or forge another one.
 */
export function shown(text: string): string {
  if (!BREAKS_A_LINE.test(text)) return text;
  // JSON.stringify escapes C0 controls only; DEL, C1 and U+2028/2029 are escaped here the same way.
  return JSON.stringify(text).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
