/** A rule's parameters in the catalog's `rule_params` text: parsed, checked and made canonical. */
import { parseDecimalText } from '../../domain/decimal-text.ts';
import { quoted } from '../../domain/text.ts';
import { DEFAULT_RULE_SCOPE, PRICE_DIGITS, RULE_SCOPES } from '../../domain/vocabulary.ts';
import type { RuleRecord } from './rule.ts';

/**
 * Parses `key=value;key=value` against a rule's parameter list; returns the canonical text or an
 * error. A scoped rule also takes an optional `scope=lplatform|tenant`; the default (`lplatform`)
 * is left out of the canonical text, so that a row stating it equals one that does not.
 */
export function parseRuleParams(
  rule: RuleRecord,
  textValue: string,
): { ok: true; value: string } | { ok: false; error: string } {
  const given = new Map<string, string>();
  if (textValue.trim() !== '') {
    for (const part of textValue.split(';')) {
      const m = /^\s*([a-z_]+)\s*=\s*(\S+)\s*$/.exec(part);
      if (!m) return { ok: false, error: `${quoted(part)} is not key=value` };
      if (given.has(m[1]!)) return { ok: false, error: `${m[1]} is given twice` };
      given.set(m[1]!, m[2]!);
    }
  }
  const canonical: string[] = [];
  for (const [name, type] of Object.entries(rule.params)) {
    const raw = given.get(name);
    if (raw === undefined)
      return { ok: false, error: `rule ${rule.name} needs ${name}=<${type === 'int' ? 'whole number' : 'decimal'}>` };
    if (type === 'int') {
      if (!/^\d{1,6}$/.test(raw)) return { ok: false, error: `${name} must be a whole number` };
      canonical.push(`${name}=${Number(raw)}`);
    } else {
      const d = parseDecimalText(raw, PRICE_DIGITS);
      if (!d.ok) return { ok: false, error: `${name}: ${d.error}` };
      canonical.push(`${name}=${d.value}`);
    }
    given.delete(name);
  }
  const scope = given.get('scope');
  if (scope !== undefined && rule.scoped) {
    if (!(RULE_SCOPES as readonly string[]).includes(scope))
      return { ok: false, error: `scope must be ${RULE_SCOPES.join(' or ')}, not "${scope}"` };
    if (scope !== DEFAULT_RULE_SCOPE) canonical.push(`scope=${scope}`);
    given.delete('scope');
  }
  if (given.size > 0) return { ok: false, error: `rule ${rule.name} takes no ${[...given.keys()].join(', ')}` };
  return { ok: true, value: canonical.join(';') };
}
