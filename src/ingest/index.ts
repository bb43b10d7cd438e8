/** The import kinds by name, in the order a new store is filled. */
import type { AnyImportKind } from './import-kind.ts';
import { tenantsKind } from './kinds/tenants.ts';
import { contactsKind } from './kinds/contacts.ts';
import { lplatformsKind } from './kinds/lplatforms.ts';
import { catalogKind } from './kinds/catalog.ts';
import { usageKind } from './kinds/usage.ts';
import { couponsKind } from './kinds/coupons.ts';
import { couponOffersKind } from './kinds/coupon-offers.ts';
import { adjustmentsKind } from './kinds/adjustments.ts';

export const IMPORT_KINDS = {
  tenants: tenantsKind,
  contacts: contactsKind,
  lplatforms: lplatformsKind,
  catalog: catalogKind,
  usage: usageKind,
  coupons: couponsKind,
  'coupon-offers': couponOffersKind,
  adjustments: adjustmentsKind,
} as const satisfies Record<string, AnyImportKind>;

export type ImportKindName = keyof typeof IMPORT_KINDS;
export const IMPORT_KIND_NAMES = Object.keys(IMPORT_KINDS) as ImportKindName[];

export { importFile, type ImportResult } from './import-file.ts';
