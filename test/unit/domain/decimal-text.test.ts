/** parseDecimalText: plain decimal text within a field's digit limits, returned in canonical form. */
import { describe, expect, it } from 'vitest';
import { parseDecimalText, type DecimalRule } from '../../../src/domain/decimal-text.ts';

const SMALL: DecimalRule = { integerDigits: 3, fractionDigits: 2 };
const PRICE: DecimalRule = { integerDigits: 11, fractionDigits: 6 };
const SIGNED: DecimalRule = { integerDigits: 3, fractionDigits: 2, allowNegative: true };
const NOT_DECIMAL = 'is not a decimal number (digits, an optional point and fraction; no exponent or separators)';

describe('parseDecimalText: accepted', () => {
  it.each([
    ['0', '0'],
    ['7', '7'],
    ['123', '123'],
    ['123.45', '123.45'],
    ['0.5', '0.5'],
    ['1.20', '1.2'],
    ['1.00', '1'],
    ['0.00', '0'],
    ['+1.5', '1.5'],
    ['000123', '123'],
    ['00.01', '0.01'],
  ])('reads %j as %j within 3+2 digits', (text, value) => {
    expect(parseDecimalText(text, SMALL)).toEqual({ ok: true, value });
  });

  // Only `+` may come before a decimal where negatives are not allowed (docs/formats.md): `-0` too is refused.
  it.each(['-0', '-0.00'])('refuses %j where negatives are not allowed', (text) => {
    expect(parseDecimalText(text, SMALL)).toEqual({ ok: false, error: `"${text}" must not be negative` });
  });

  it.each([
    ['99999999999.999999', '99999999999.999999'],
    ['0.000001', '0.000001'],
    ['12345678901', '12345678901'],
  ])('reads %j as %j within the price limits (11+6)', (text, value) => {
    expect(parseDecimalText(text, PRICE)).toEqual({ ok: true, value });
  });

  it.each([
    ['-1.5', '-1.5'],
    ['-123.45', '-123.45'],
    ['-0.10', '-0.1'],
  ])('reads the negative %j as %j where allowed', (text, value) => {
    expect(parseDecimalText(text, SIGNED)).toEqual({ ok: true, value });
  });
});

describe('parseDecimalText: refused', () => {
  it.each([
    ['an exponent', '1e3'],
    ['a capital exponent', '1E3'],
    ['a negative exponent', '5e-1'],
    ['a thousands comma', '1,000'],
    ['a decimal comma', '1,5'],
    ['a space separator', '1 000'],
    ['an underscore separator', '1_000'],
    ['an apostrophe separator', "1'000"],
    ['a leading point', '.5'],
    ['a trailing point', '5.'],
    ['two points', '1.2.3'],
    ['a leading space', ' 1'],
    ['a trailing space', '1 '],
    ['two signs', '+-1'],
    ['a doubled minus', '--1'],
    ['hexadecimal', '0x10'],
    ['Infinity', 'Infinity'],
    ['NaN', 'NaN'],
    ['full-width digits', '１２'],
    ['a currency sign', '$5'],
    ['a percent sign', '5%'],
    ['an empty text', ''],
  ])('refuses %s', (_what, text) => {
    expect(parseDecimalText(text, SMALL)).toEqual({ ok: false, error: `"${text}" ${NOT_DECIMAL}` });
  });

  it.each(['-1', '-0.01', '-123.45'])('refuses the negative %j unless allowed', (text) => {
    expect(parseDecimalText(text, SMALL)).toEqual({ ok: false, error: `"${text}" must not be negative` });
  });

  it.each([
    [SMALL, '1234', '"1234" has more than 3 digits before the point'],
    [SMALL, '1000.5', '"1000.5" has more than 3 digits before the point'],
    [SIGNED, '-1234', '"-1234" has more than 3 digits before the point'],
    [SMALL, '0.123', '"0.123" has more than 2 digits after the point'],
    [SMALL, '1.230', '"1.230" has more than 2 digits after the point'],
    [PRICE, '123456789012', '"123456789012" has more than 11 digits before the point'],
    [PRICE, '0.1234567', '"0.1234567" has more than 6 digits after the point'],
  ] as [DecimalRule, string, string][])('refuses digits beyond the limit: %o %j', (rule, text, error) => {
    expect(parseDecimalText(text, rule)).toEqual({ ok: false, error });
  });

  it('counts only significant digits before the point', () => {
    expect(parseDecimalText('0000000000001', SMALL)).toEqual({ ok: true, value: '1' });
  });
});
