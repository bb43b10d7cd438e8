/**
 * The chart of the billing history: one horizontal bar a month (newest first, as the table), its
 * length the month's total against an axis of round amounts. Only the geometry is computed here;
 * templates/web/tenant-home.eta draws it as inline SVG (no script, no inline style). A month under
 * review or void has no total to draw: it gets a mark of its own instead of a bar. Amounts stay
 * decimal text; only pixel lengths are numbers.
 */
import { Decimal } from '../../domain/money.ts';
import type { Currency, Locale } from '../../domain/vocabulary.ts';
import type { Words } from '../i18n.ts';
import { shownAmount } from './statement-page.ts';

/** How a month stands on the chart. */
export type ChartKind = 'fixed' | 'corrected' | 'held' | 'void';

/** A month to chart: its total is null when it is not to be shown. */
export interface ChartMonth {
  month: string;
  kind: ChartKind;
  total: string | null;
  currency: Currency;
  state: string;
}

/** A month's row of the chart. */
interface ChartBar {
  href: string;
  month: string;
  kind: ChartKind;
  /** The top of the row's bar, and the baseline of its texts. */
  y: number;
  textY: number;
  width: number;
  /** What the row says to a screen reader and in its tooltip. */
  label: string;
  /** The text drawn in place of a bar (a month under review or void), else ''. */
  mark: string;
}

/** The geometry of the chart, in the units of its viewBox. */
export interface Chart {
  width: number;
  height: number;
  barX: number;
  barWidth: number;
  barHeight: number;
  gridTop: number;
  gridBottom: number;
  ticks: { x: number; label: string; anchor: 'start' | 'middle' | 'end' }[];
  bars: ChartBar[];
  /** The kinds of month on the chart, each with its words (the legend). */
  legend: { kind: ChartKind; label: string }[];
}

const WIDTH = 360;
const BAR_X = 64;
const BAR_WIDTH = 284;
const AXIS = 20;
const ROW = 26;
const BAR_HEIGHT = 17;

/** The smallest of 1, 2, 2.5, 5 times a power of ten at least `max` (1 for nothing above zero). */
export function roundCeiling(max: Decimal): Decimal {
  if (max.lte(0)) return new Decimal(1);
  // The power of ten of its leading digit: its exponent (a decimal logarithm costs ~0.1 ms a page).
  const power = new Decimal(10).pow(max.abs().e);
  for (const step of [1, 2, 2.5, 5, 10]) {
    const candidate = power.times(step);
    if (candidate.gte(max)) return candidate;
  }
  return power.times(10);
}

/** The chart of the months (none: null). */
export function chartOf(months: readonly ChartMonth[], locale: Locale, t: Words): Chart | null {
  if (months.length === 0) return null;
  const currency = months.find((m) => m.total !== null)?.currency ?? months[0]!.currency;
  const shown = months.filter((m) => m.total !== null && m.currency === currency).map((m) => new Decimal(m.total!));
  const top = roundCeiling(shown.length === 0 ? new Decimal(0) : Decimal.max(...shown));
  const half = top.div(2);
  const at = (x: Decimal): number => new Decimal(BAR_X).plus(x.div(top).times(BAR_WIDTH)).toDecimalPlaces(1).toNumber();
  const money = (v: Decimal): string => shownAmount(v.toFixed(), currency, locale);
  return {
    width: WIDTH,
    height: AXIS + months.length * ROW + 4,
    barX: BAR_X,
    barWidth: BAR_WIDTH,
    barHeight: BAR_HEIGHT,
    gridTop: AXIS - 4,
    gridBottom: AXIS + months.length * ROW,
    ticks: [
      { x: BAR_X, label: money(new Decimal(0)), anchor: 'start' },
      { x: at(half), label: money(half), anchor: 'middle' },
      { x: BAR_X + BAR_WIDTH, label: money(top), anchor: 'end' },
    ],
    legend: (['fixed', 'corrected', 'held', 'void'] as const)
      .filter((kind) => months.some((m) => m.kind === kind))
      .map((kind) => ({ kind, label: t[kind] })),
    bars: months.map((m, i) => {
      const y = AXIS + i * ROW + (ROW - BAR_HEIGHT) / 2;
      const drawn = m.total !== null && m.currency === currency && (m.kind === 'fixed' || m.kind === 'corrected');
      const length = drawn ? Decimal.max(new Decimal(m.total!), 0).div(top).times(BAR_WIDTH) : new Decimal(0);
      return {
        href: `/months/${m.month}`,
        month: m.month,
        kind: m.kind,
        y,
        textY: y + BAR_HEIGHT - 3,
        width: length.toDecimalPlaces(1).toNumber(),
        label: drawn
          ? `${m.month}: ${shownAmount(m.total!, m.currency, locale)} (${m.state})`
          : `${m.month}: ${m.state}`,
        mark: m.kind === 'held' ? t.pmChartHeldMark : m.kind === 'void' ? t.pmChartVoidMark : '',
      };
    }),
  };
}
