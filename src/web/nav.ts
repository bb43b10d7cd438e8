/** The links of the page header: what each person's role may open. */
import type { FastifyRequest } from 'fastify';
import { allowed, type Access } from './access.ts';
import { pageLocale, wordsOf, type Words } from './i18n.ts';

/** A header link: its address, its words and who sees it. */
interface NavItem {
  href: string;
  label: keyof Words;
  access: Access;
}

/** In the order shown. */
const ITEMS: readonly NavItem[] = [
  { href: '/', label: 'navHome', access: 'signed-in' },
  { href: '/estimate', label: 'navEstimate', access: 'tenant' },
  { href: '/tenants', label: 'navTenants', access: 'staff' },
  { href: '/imports', label: 'navImports', access: 'operator' },
];

/** The header links of a request's person (none when signed out); the current page marked. */
export function navOf(request: FastifyRequest): { href: string; label: string; current: boolean }[] {
  const role = request.session?.user.role ?? null;
  if (role === null) return [];
  const t = wordsOf(pageLocale(request));
  const here = request.url.split('?')[0];
  return ITEMS.filter((i) => allowed(i.access, role)).map((i) => ({
    href: i.href,
    label: t[i.label],
    current: i.href === '/' ? here === '/' : here === i.href || here?.startsWith(`${i.href}/`) === true,
  }));
}
