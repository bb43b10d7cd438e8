/** The web pages: eta templates under `templates/web/`, HTML-escaped, inside one layout. */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyReply } from 'fastify';
import { Eta } from 'eta';
import { PACKAGE_ROOT } from '../paths.ts';
import type { Locale } from '../domain/vocabulary.ts';
import { wordsOf, type Words } from './i18n.ts';

const VIEWS = path.join(PACKAGE_ROOT, 'templates', 'web');
const eta = new Eta({ views: VIEWS, autoEscape: true, autoTrim: false, cache: true });

/** What every page's layout shows. */
export interface PageFrame {
  locale: Locale;
  title: string;
  /** The signed-in person, or null. */
  user: { email: string } | null;
  /** The header links of the person's role. */
  nav?: { href: string; label: string; current: boolean }[];
  /** The form token of the session (or of the signed-out browser). */
  csrf: string;
  notice?: string;
  error?: string;
}

/** A page: its template rendered with `data` and the words of its locale, inside the layout. */
export function renderPage(view: string, frame: PageFrame, data: Record<string, unknown> = {}): string {
  const t: Words = wordsOf(frame.locale);
  const body = eta.render(view, { ...data, t, csrf: frame.csrf });
  return eta.render('layout', {
    ...frame,
    t,
    body,
    nav: frame.nav ?? [],
    notice: frame.notice ?? '',
    error: frame.error ?? '',
  });
}

/** Sends a page (never cached: it shows a person's own data). */
export function sendPage(reply: FastifyReply, page: string, code = 200): FastifyReply {
  return reply.code(code).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
}

/** The style sheet, read once. */
let css: Buffer | undefined;
export function styleSheet(): Buffer {
  css ??= fs.readFileSync(path.join(VIEWS, 'app.css'));
  return css;
}
