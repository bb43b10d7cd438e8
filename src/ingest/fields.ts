/** Cell validators for the import files: zod schemas from a CSV cell (text) to a typed value. */
import * as z from 'zod';
import { parseDate, parseInstant, toUtcIso, type ParseResult } from '../domain/instant.ts';
import { parseDecimalText, type DecimalRule } from '../domain/decimal-text.ts';
import { quoted } from '../domain/text.ts';

/** A schema reading one cell; an empty cell is `''`. */
export type CellSchema<T> = z.ZodType<T, string>;

/** A required cell: empty is an error, otherwise `inner` decides. */
export function required<T>(inner: CellSchema<T>): CellSchema<T> {
  return z.string().min(1, 'is required').pipe(inner) as unknown as CellSchema<T>;
}

/** An optional cell: empty gives `undefined`, otherwise `inner` decides. */
export function optional<T>(inner: CellSchema<T>): CellSchema<T | undefined> {
  // `inner.optional()` rather than a union: a union would replace inner's own message by "Invalid input".
  return z
    .string()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(inner.optional()) as unknown as CellSchema<T | undefined>;
}

/** An optional cell with a default used when it is empty or its column is absent. */
export function withDefault<T>(inner: CellSchema<T>, fallback: T): CellSchema<T> {
  return optional(inner).transform((v) => (v === undefined ? fallback : v)) as unknown as CellSchema<T>;
}

/** Free text of at most `max` characters (control characters are refused for every cell upstream). */
export function text(max: number): CellSchema<string> {
  return z.string().max(max, `is longer than ${max} characters`);
}

/** An identifier: `pattern` describes what is allowed, in words, for the message. */
export function identifier(pattern: RegExp, described: string): CellSchema<string> {
  return z.string().regex(pattern, `must be ${described}`);
}

/** One of a closed list of values. */
export function oneOf<T extends string>(values: readonly T[]): CellSchema<T> {
  return z.string().refine((v): v is T => (values as readonly string[]).includes(v), {
    message: `must be one of ${values.join(', ')}`,
  }) as unknown as CellSchema<T>;
}

/** A whole number written in plain digits, within [min, max]. */
export function wholeNumber(min: number, max: number): CellSchema<number> {
  return z
    .string()
    .regex(/^\d{1,9}$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine(
      (n) => n >= min && n <= max,
      `must be a whole number from ${min} to ${max}`,
    ) as unknown as CellSchema<number>;
}

/** A cell read by one of the domain's parsers, whose error text becomes the message. */
function parsed<T>(parse: (text: string) => ParseResult<T>): CellSchema<T> {
  return z.string().transform((v, ctx) => {
    const r = parse(v);
    if (!r.ok) {
      ctx.addIssue({ code: 'custom', message: r.error });
      return z.NEVER;
    }
    return r.value;
  }) as unknown as CellSchema<T>;
}

/** A decimal string within the rule's digits; the value stays text (canonical form). */
export function decimalText(rule: DecimalRule): CellSchema<string> {
  return parsed((v) => parseDecimalText(v, rule));
}

/** An ISO 8601 instant with a zone; the value is its canonical UTC text. */
export function instant(): CellSchema<string> {
  return parsed((v) => {
    const r = parseInstant(v);
    return r.ok ? { ok: true, value: toUtcIso(r.value) } : r;
  });
}

/** A calendar date `YYYY-MM-DD`. */
export function calendarDate(): CellSchema<string> {
  return parsed(parseDate);
}

/** `true`/`false` (also `yes`/`no`, `1`/`0`). */
export function flag(): CellSchema<boolean> {
  return z.string().transform((v, ctx) => {
    const t = v.toLowerCase();
    if (t === 'true' || t === 'yes' || t === '1') return true;
    if (t === 'false' || t === 'no' || t === '0') return false;
    ctx.addIssue({ code: 'custom', message: `${quoted(v)} must be true or false` });
    return z.NEVER;
  }) as unknown as CellSchema<boolean>;
}

const EMAIL = z.email();
/** An e-mail address (at most 254 characters). */
export function emailAddress(): CellSchema<string> {
  return z
    .string()
    .max(254, 'is longer than 254 characters')
    .refine((v) => EMAIL.safeParse(v).success, {
      error: (iss) => `${quoted(String(iss.input))} is not an e-mail address`,
    }) as unknown as CellSchema<string>;
}

/** Names that a file system reserves on some platform (compared case-insensitively, without extension). */
const RESERVED_NAMES = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

/** A name that also becomes part of file names: letters, digits, `_` and `-`, not a reserved device name. */
export function fileSafeName(max: number): CellSchema<string> {
  return z
    .string()
    .regex(
      new RegExp(`^[A-Za-z0-9][A-Za-z0-9_-]{0,${max - 1}}$`),
      `must be 1-${max} letters, digits, "_" or "-", starting with a letter or digit`,
    )
    .refine((v) => !RESERVED_NAMES.test(v), {
      error: (iss) => `${quoted(String(iss.input))} is a reserved device name`,
    }) as unknown as CellSchema<string>;
}

/** The characters no cell may hold: C0 controls (CR, LF, tab, NUL, ...) and DEL. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
