/** Decimal strings as they appear in input files: validated as text, never through a JS number. */
import { Decimal } from 'decimal.js';
import type { ParseResult } from './instant.ts';
import { quoted } from './text.ts';

/** Limits of one decimal field: digits before and after the point, and whether it may be negative. */
export interface DecimalRule {
  integerDigits: number;
  fractionDigits: number;
  allowNegative?: boolean;
}

const DECIMAL_RE = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/**
 * Validates a plain decimal string (no exponent, no thousands separators) and returns its
 * canonical text (`1.2000` stays `1.2000` in meaning but is stored as `1.2`).
 */
export function parseDecimalText(text: string, rule: DecimalRule): ParseResult<string> {
  const m = DECIMAL_RE.exec(text);
  if (!m)
    return {
      ok: false,
      error: `${quoted(text)} is not a decimal number (digits, an optional point and fraction; no exponent or separators)`,
    };
  const [, , intPart, frac = ''] = m as unknown as [string, string, string, string | undefined];
  const value = new Decimal(text);
  if ((value.isNegative() || text.startsWith('-')) && !rule.allowNegative)
    return { ok: false, error: `${quoted(text)} must not be negative` };
  const significantInt = intPart.replace(/^0+(?=\d)/, '');
  if (significantInt.length > rule.integerDigits) {
    return { ok: false, error: `${quoted(text)} has more than ${rule.integerDigits} digits before the point` };
  }
  if (frac.length > rule.fractionDigits) {
    return { ok: false, error: `${quoted(text)} has more than ${rule.fractionDigits} digits after the point` };
  }
  return { ok: true, value: value.toFixed() };
}
