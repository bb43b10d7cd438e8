/**
 * `/coupons`: the tenant's coupons, and the registration of a code the billing team issued
 * (`coupon-offers`): the code, then its details and exactly the billing months it will apply to
 * (couponMonths, the rule the close rates by), then Register. The coupon is stored with the
 * server's clock as its registration instant, audited in the same transaction.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { localDate } from '../../domain/calendar.ts';
import { couponMonths, type CouponTerms } from '../../rating/coupons.ts';
import { recordAudit } from '../../store/audit.ts';
import { loadSchedule } from '../../store/billing.ts';
import { findOffer, type StoredOffer } from '../../store/coupon-offers.ts';
import { findCoupon, insertCouponOnce, tenantCoupons } from '../../store/coupons.ts';
import { inTransaction } from '../../store/db.ts';
import { findTenantRef } from '../../store/tenants.ts';
import { pageLocale, wordsOf, type Words } from '../i18n.ts';
import type { WebContext } from '../server.ts';
import { contractPage, OWNER, ownTenant } from './contract-page.ts';
import { fill } from '../i18n.ts';

/** A code as typed: trimmed, lowercase letters as capitals. */
const typedCode = (v: unknown): string => (typeof v === 'string' ? v.trim().toUpperCase() : '');

/** Months as the pages show them: `2026-12 – 2027-05`, one month alone, or none. */
function monthRange(months: readonly string[], t: Words): string {
  if (months.length === 0) return t.pcNoMonth;
  return months.length === 1 ? months[0]! : `${months[0]} – ${months.at(-1)}`;
}

/** A discount in words: `10 % off`, `500 JPY off`. */
function discountText(c: { discountType: string; discountValue: string }, currency: string, t: Words): string {
  return c.discountType === 'percent'
    ? fill(t.pcPercentOff, { value: c.discountValue })
    : fill(t.pcAmountOff, { value: c.discountValue, currency });
}

/** The billing months of coupon terms registered at `at` for the tenant. */
function monthsOf(ctx: WebContext, tenantPk: number, terms: CouponTerms): string[] {
  return couponMonths(terms, loadSchedule(ctx.store, tenantPk), ctx.config.billingTimeZone);
}

/**
 * Whether the tenant may register `code` now: the offer and the months it will apply to, or why not
 * (in the words of the page). A code reserved for another tenant is unknown, as one never issued.
 */
function checkCode(
  ctx: WebContext,
  tenant: { tenantPk: number; tenantName: string },
  code: string,
  at: Date,
  t: Words,
): { offer: StoredOffer; months: string[] } | { problem: string } {
  const currency = findTenantRef(ctx.store, tenant.tenantName)?.currency;
  if (!/^[A-Z0-9]{12}$/.test(code)) return { problem: t.pcBadCode };
  const registered = findCoupon(ctx.store, code);
  if (registered !== undefined && registered.tenantName === tenant.tenantName)
    return { problem: fill(t.pcAlreadyYours, { code }) };
  const offer = findOffer(ctx.store, code);
  // A code reserved for another tenant, or an amount off in another currency, is not this tenant's to use.
  if (
    offer === undefined ||
    (offer.tenantName !== null && offer.tenantName !== tenant.tenantName) ||
    (offer.currency !== null && offer.currency !== currency)
  )
    return { problem: fill(t.pcUnknownCode, { code }) };
  if (registered !== undefined) return { problem: fill(t.pcUsedCode, { code }) };
  if (offer.redeemBy !== null && localDate(at.getTime(), ctx.config.billingTimeZone) > offer.redeemBy)
    return { problem: fill(t.pcPastRedeemBy, { code, date: offer.redeemBy }) };
  const months = monthsOf(ctx, tenant.tenantPk, { ...offer, registeredAt: at.getTime() });
  if (months.length === 0) return { problem: fill(t.pcNoMonthLeft, { code }) };
  return { offer, months };
}

/** What the confirmation shows of a code: its discount, description, months and last registration day. */
function confirmData(
  ctx: WebContext,
  tenant: { tenantName: string },
  code: string,
  offer: StoredOffer,
  months: string[],
  t: Words,
): Record<string, unknown> {
  const currency = findTenantRef(ctx.store, tenant.tenantName)?.currency ?? '';
  return {
    code,
    discount: discountText(offer, currency, t),
    description: offer.description,
    months: monthRange(months, t),
    monthList: months,
    redeemBy: offer.redeemBy ?? '',
  };
}

/** The page: the tenant's coupons and the form, with a notice or an error (and the code typed). */
function listPage(
  ctx: WebContext,
  request: FastifyRequest,
  reply: FastifyReply,
  extra: { code?: number; notice?: string; error?: string; typed?: string } = {},
): FastifyReply {
  const t = wordsOf(pageLocale(request));
  const tenant = ownTenant(request);
  const currency = findTenantRef(ctx.store, tenant.tenantName)?.currency ?? '';
  const tz = ctx.config.billingTimeZone;
  const coupons = tenantCoupons(ctx.store, tenant.tenantPk).map((c) => ({
    code: c.couponCode,
    discount: discountText(c, currency, t),
    months: monthRange(monthsOf(ctx, tenant.tenantPk, { ...c, registeredAt: Date.parse(c.registeredAt) }), t),
    description: c.description,
    registeredOn: localDate(Date.parse(c.registeredAt), tz),
  }));
  return contractPage(request, reply, ctx, {
    view: 'contract-coupons',
    title: t.pcCoupons,
    data: { coupons, typed: extra.typed ?? '' },
    ...(extra.code === undefined ? {} : { code: extra.code }),
    frame: {
      ...(extra.notice === undefined ? {} : { notice: extra.notice }),
      ...(extra.error === undefined ? {} : { error: extra.error }),
    },
  });
}

export function registerCoupons(app: FastifyInstance, ctx: WebContext): void {
  app.get('/coupons', OWNER, async (request, reply) => {
    const t = wordsOf(pageLocale(request));
    // After a registration (post, redirect, get): the notice of a coupon of this tenant only.
    const done = typedCode((request.query as Record<string, unknown>).registered);
    const mine = done === '' ? undefined : findCoupon(ctx.store, done);
    if (mine !== undefined && mine.tenantName === ownTenant(request).tenantName) {
      const months = monthsOf(ctx, ownTenant(request).tenantPk, {
        ...mine,
        registeredAt: Date.parse(mine.registeredAt),
      });
      return listPage(ctx, request, reply, {
        notice: fill(t.pcRegistered, { code: done, months: monthRange(months, t) }),
      });
    }
    return listPage(ctx, request, reply);
  });

  // The confirmation: the coupon's details and the months it will apply to; nothing stored yet.
  app.post('/coupons/check', OWNER, async (request, reply) => {
    const t = wordsOf(pageLocale(request));
    const tenant = ownTenant(request);
    const code = typedCode((request.body as Record<string, unknown>).code);
    const checked = checkCode(ctx, tenant, code, ctx.now(), t);
    if ('problem' in checked) return listPage(ctx, request, reply, { code: 400, error: checked.problem, typed: code });
    const { offer, months } = checked;
    return contractPage(request, reply, ctx, {
      view: 'contract-coupon-confirm',
      title: t.pcConfirmTitle,
      data: confirmData(ctx, tenant, code, offer, months, t),
    });
  });

  // Register: checked again, stored with the server's clock, audited, in one transaction. Of two
  // owners registering one code at once, the code's uniqueness lets exactly one win.
  app.post('/coupons', OWNER, async (request, reply) => {
    const t = wordsOf(pageLocale(request));
    const tenant = ownTenant(request);
    const code = typedCode((request.body as Record<string, unknown>).code);
    const now = ctx.now();
    type Outcome = { problem: string } | { changed: { offer: StoredOffer; months: string[] } } | { months: string[] };
    const result = inTransaction(ctx.store, (): Outcome => {
      const checked = checkCode(ctx, tenant, code, now, t);
      if ('problem' in checked) return checked;
      const { offer, months } = checked;
      // The months the confirmation showed (a new month may have begun since): other ones are shown first.
      const shown = (request.body as Record<string, unknown>).months;
      if (typeof shown === 'string' && shown !== months.join(' ')) return { changed: { offer, months } };
      const added = insertCouponOnce(ctx.store, {
        couponCode: code,
        tenantPk: tenant.tenantPk,
        registeredAt: now.toISOString(),
        discountType: offer.discountType,
        discountValue: offer.discountValue,
        validMonths: offer.validMonths,
        validUntil: offer.validUntil,
        description: offer.description,
        now: now.toISOString(),
      });
      if (!added) return { problem: fill(t.pcUsedCode, { code }) };
      recordAudit(ctx.store, now.toISOString(), 'coupon-registered', tenant.tenantName, {
        coupon: code,
        months,
        email: tenant.email,
      });
      return { months };
    });
    if ('changed' in result) {
      const { offer, months } = result.changed;
      // (A new month began between the confirmation and the press of Register.)
      return contractPage(request, reply, ctx, {
        view: 'contract-coupon-confirm',
        title: t.pcConfirmTitle,
        code: 409,
        frame: { error: t.pcMonthsChanged },
        data: confirmData(ctx, tenant, code, offer, months, t),
      });
    }
    if ('problem' in result) return listPage(ctx, request, reply, { code: 400, error: result.problem, typed: code });
    return reply.redirect(`/coupons?registered=${code}`, 303);
  });
}
