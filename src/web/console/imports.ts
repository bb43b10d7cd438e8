/**
 * Importing a CSV file by upload (`/imports`, operators): its kind, its encoding (as `usage-charges
 * import --encoding`) and the file, through the same all-or-nothing `importFile` as the command
 * line: the counts when it is imported, else every problem by line and field, nothing stored.
 * Audited as an import with `by` = the operator's e-mail. The form is multipart: its CSRF token is
 * a field of it, checked here before anything is imported.
 */
import path from 'node:path';
import { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InputError, type InputIssue } from '../../domain/errors.ts';
import { IMPORT_ENCODINGS, type ImportEncoding } from '../../ingest/csv-source.ts';
import type { AnyImportKind } from '../../ingest/import-kind.ts';
import {
  IMPORT_KIND_NAMES,
  IMPORT_KINDS,
  importFile,
  type ImportKindName,
  type ImportResult,
} from '../../ingest/index.ts';
import { personOf, sameToken, sentCsrf } from '../access.ts';
import { pageLocale, wordsOf, type Words } from '../i18n.ts';
import { renderPage, sendPage } from '../pages.ts';
import { frameOf, refuseForm } from '../sign-in.ts';
import type { WebContext } from '../server.ts';

/** The largest file the form takes (larger ones: the command line). */
const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

const KIND_WORDS: Record<ImportKindName, keyof Words> = {
  tenants: 'kindTenants',
  contacts: 'kindContacts',
  lplatforms: 'kindLplatforms',
  catalog: 'kindCatalog',
  usage: 'kindUsage',
  coupons: 'kindCoupons',
  'coupon-offers': 'kindCouponOffers',
  adjustments: 'kindAdjustments',
};

const ENCODING_WORDS: Record<ImportEncoding, keyof Words> = { utf8: 'encUtf8', cp932: 'encCp932' };

/** What the form was sent with (shown again with the answer). */
interface Chosen {
  kind: string;
  encoding: string;
  asAdjustment: boolean;
}

function importPage(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: WebContext,
  code: number,
  chosen: Chosen,
  outcome: { error?: string; notice?: string; result?: ImportResult; issues?: InputIssue[]; truncated?: boolean } = {},
): FastifyReply {
  const t = wordsOf(pageLocale(request));
  return sendPage(
    reply,
    renderPage(
      'console-imports',
      frameOf(request, reply, ctx, t.importTitle, {
        ...(outcome.error === undefined ? {} : { error: outcome.error }),
        ...(outcome.notice === undefined ? {} : { notice: outcome.notice }),
      }),
      {
        kinds: IMPORT_KIND_NAMES.map((k) => ({
          value: k,
          label: `${t[KIND_WORDS[k]]} (${k})`,
          chosen: k === chosen.kind,
        })),
        encodings: IMPORT_ENCODINGS.map((e) => ({
          value: e,
          label: t[ENCODING_WORDS[e]],
          chosen: e === chosen.encoding,
        })),
        asAdjustment: chosen.asAdjustment,
        result: outcome.result ?? null,
        issues: (outcome.issues ?? []).map((i) => ({
          line: i.line > 0 ? String(i.line) : '',
          field: i.field,
          message: i.message,
        })),
        truncated: outcome.truncated === true,
      },
    ),
    code,
  );
}

/** The form's fields and its file, read whole (at most MAX_UPLOAD_BYTES). */
async function readForm(
  request: FastifyRequest,
  csrf: string,
): Promise<{ fields: Record<string, string>; file: { name: string; bytes: Buffer } | null; tooLarge: boolean }> {
  const fields: Record<string, string> = {};
  let file: { name: string; bytes: Buffer } | null = null;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        // The form's token comes before its file (the page puts it first): without it, no file is read.
        if (!sameToken(fields._csrf, csrf)) break;
        const bytes = await part.toBuffer();
        if (part.fieldname === 'file' && file === null && part.filename !== '')
          file = { name: uploadName(part.filename), bytes };
      } else if (typeof part.value === 'string') fields[part.fieldname] = part.value;
    }
  } catch (err) {
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') return { fields, file: null, tooLarge: true };
    throw err;
  }
  return { fields, file, tooLarge: false };
}

/** The name a browser sent for a file, without any folder (some send the whole path) or control characters. */
function uploadName(sent: string): string {
  const name = path.posix
    .basename(sent.replace(/\\/g, '/'))
    .replace(/\p{Cc}/gu, '')
    .slice(0, 200);
  return name === '' ? 'upload.csv' : name;
}

export function registerImports(app: FastifyInstance, ctx: WebContext): void {
  // The multipart parser only where the upload is.
  void app.register(async (scope) => {
    await scope.register(multipart, {
      limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 10, fieldSize: 1024, parts: 12 },
    });
    const initial: Chosen = { kind: 'usage', encoding: 'utf8', asAdjustment: false };

    scope.get('/imports', { config: { access: 'operator' } }, async (request, reply) =>
      importPage(request, reply, ctx, 200, initial),
    );

    scope.post('/imports', { config: { access: 'operator', csrfInHandler: true } }, async (request, reply) => {
      const t = wordsOf(pageLocale(request));
      const session = personOf(request);
      const initialFor = (code: number): FastifyReply =>
        importPage(request, reply, ctx, code, initial, { error: t.noFile });
      if (!request.isMultipart())
        return sameToken(sentCsrf(request), session.csrfToken) ? initialFor(400) : refuseForm(request, reply, ctx);
      const { fields, file, tooLarge } = await readForm(request, session.csrfToken);
      // The token first: a form from elsewhere gets nothing but the refusal.
      if (!sameToken(fields._csrf, session.csrfToken)) return refuseForm(request, reply, ctx);
      const chosen: Chosen = {
        kind: fields.kind ?? '',
        encoding: fields.encoding ?? '',
        asAdjustment: fields.asAdjustment === 'on',
      };
      const problem = tooLarge
        ? t.fileTooLarge
        : !(IMPORT_KIND_NAMES as string[]).includes(chosen.kind)
          ? t.badKind
          : !(IMPORT_ENCODINGS as readonly string[]).includes(chosen.encoding)
            ? t.badEncoding
            : chosen.asAdjustment && chosen.kind !== 'usage'
              ? t.adjustmentOnlyUsage
              : file === null
                ? t.noFile
                : null;
      if (problem !== null || file === null)
        return importPage(request, reply, ctx, tooLarge ? 413 : 400, chosen, { error: problem ?? t.noFile });
      const config = ctx.config;
      try {
        const result = await importFile(
          IMPORT_KINDS[chosen.kind as ImportKindName] as AnyImportKind,
          { stream: Readable.from([file.bytes]), name: file.name },
          {
            db: ctx.store,
            now: ctx.now().toISOString(),
            defaultCurrency: config.defaultCurrency,
            defaultLocale: config.defaultLocale,
            csvEncoding: config.csvEncoding,
            billingTimeZone: config.billingTimeZone,
            asAdjustment: chosen.asAdjustment,
            by: session.user.email,
          },
          { maxErrors: config.importMaxErrors, encoding: chosen.encoding as ImportEncoding },
        );
        return importPage(request, reply, ctx, 200, chosen, { notice: `${t.importDone}: ${result.file}`, result });
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        return importPage(request, reply, ctx, 400, chosen, {
          error: err.issues.length === 0 ? err.message : t.importRefused,
          issues: err.issues,
          truncated: err.truncated,
        });
      }
    });
  });
}
