/**
 * A statement as the tenant portal shows it (a month's Summary and the estimate): per L-Platform
 * its subtotal and the resources under it, the contract's adjustments, the coupons with their
 * discount, the tax at each rate and the total. Built from a statement view (the frozen lines of a
 * fixed statement, or a fresh rating for the estimate); every amount stays decimal text, grouped in
 * thousands for reading.
 */
import { localDate } from '../../domain/calendar.ts';
import { Decimal, minorDigits } from '../../domain/money.ts';
import type { Currency, Locale } from '../../domain/vocabulary.ts';
import { localAmount } from '../../mail/render.ts';
import type { ChargeLine } from '../../rating/types.ts';
import type { StatementView } from '../../statements/view.ts';
import { money } from '../../statements/csv.ts';
import { fill, type Words } from '../i18n.ts';

/** One row under an L-Platform: a resource, or one of the L-Platform's own lines (an allowance, an adjustment). */
interface ItemRow {
  label: string;
  detail: string;
  amount: string;
}

/** What the statement part of a page shows. */
export interface StatementBody {
  lplatforms: { id: string; name: string; returned: string; amount: string; items: ItemRow[] }[];
  adjustments: ItemRow[];
  beforeDiscount: string;
  coupons: ItemRow[];
  subtotal: string;
  taxes: ItemRow[];
  tax: string;
  total: string;
}

/** An amount (decimal text) for reading: grouped in thousands, with the currency (円 for yen in Japanese). */
export function shownAmount(value: string | Decimal, currency: Currency, locale: Locale): string {
  // The currency's decimals always (0.00 SGD, not 0 SGD); more when the amount has more.
  return localAmount(money(new Decimal(value), minorDigits(currency)), currency, locale);
}

/** The words of a line that is not a resource's usage. */
function lineLabel(l: ChargeLine, t: Words): string {
  switch (l.kind) {
    case 'allowance':
      return t.pmKindAllowance;
    case 'free_link':
      return t.pmKindFreeLink;
    case 'cap':
      return t.pmKindCap;
    case 'adjustment':
      return t.pmKindAdjustment;
    case 'fee':
      return t.pmKindFee;
    default:
      return l.productName === '' ? l.kind : l.productName;
  }
}

/** The statement part of a Summary or estimate page. */
export function statementBody(view: StatementView, locale: Locale, t: Words): StatementBody {
  const tree = view.tree;
  const money = (v: string | Decimal): string => shownAmount(v, tree.currency, locale);
  const own = (l: ChargeLine): ItemRow => ({ label: lineLabel(l, t), detail: l.note, amount: money(l.charged) });
  return {
    lplatforms: tree.lplatforms.map((lp) => ({
      id: lp.lplatformId,
      name: lp.lplatformName,
      returned: lp.returnedAt === null ? '' : localDate(lp.returnedAt, tree.period.timeZone),
      amount: money(lp.amount),
      items: [
        ...lp.resources.map((r) => ({
          label: r.resourceName === '' ? r.resourceId : r.resourceName,
          detail: r.resourceName === '' || r.resourceName === r.resourceId ? '' : r.resourceId,
          amount: money(r.amount),
        })),
        ...lp.lines.map(own),
      ],
    })),
    adjustments: tree.tenantLines.filter((l) => l.kind !== 'coupon').map(own),
    beforeDiscount: money(tree.beforeDiscount),
    coupons: tree.tenantLines
      .filter((l) => l.kind === 'coupon')
      .map((l) => ({
        label: fill(t.pmCoupon, { code: l.note.replace(/^coupon /, '') }),
        detail: '',
        amount: money(l.charged),
      })),
    subtotal: money(tree.subtotal),
    taxes: tree.taxes.map((x) => ({
      label: fill(t.pmTaxAt, { percent: x.percent.toFixed(), base: money(x.base) }),
      detail: '',
      amount: money(x.amount),
    })),
    tax: money(tree.tax),
    total: money(tree.total),
  };
}
