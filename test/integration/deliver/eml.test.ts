/** Without SMTP_URL the outbox is written as `.eml` files under DATA_DIR/outbox: one per delivery, once. */
import fs from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { emlFileName } from '../../../src/mail/transport.ts';
import {
  ALL_RECIPIENTS,
  DEMO_RECIPIENTS,
  SEND_AT,
  archived,
  closeAndBuild,
  deliveries,
  demoWorld,
  fileOf,
  later,
  send,
  sha256,
} from './support.ts';

const SUBJECTS: Record<string, string> = {
  TNT00001: '【ご利用料金のお知らせ】2026年10月分 tenant01 御中',
  'manual-tenant': '【ご利用料金のお知らせ】2026年10月分 manual-tenant 御中',
  TNT00003: 'Usage charges for October 2026 - Example Rules Co.',
  TNT00004: 'Usage charges for October 2026 - Globex Singapore',
};

describe('.eml outbox', () => {
  it('writes one 0600 file per delivery that reads back as the statement mail; a second step writes nothing', async () => {
    const w = await demoWorld();
    expect(w.mailer.kind).toBe('eml');
    await closeAndBuild(w);
    const summary = await send(w);
    expect(summary.failed).toEqual([]);
    expect(summary.stopped).toBeNull();
    expect(summary.sent.map((s) => s.recipient).sort()).toEqual(ALL_RECIPIENTS);

    const outbox = path.join(w.config.dataDir, 'outbox');
    const rows = deliveries(w.db);
    expect(fs.readdirSync(outbox).sort()).toEqual(rows.map((d) => emlFileName(d.message_id)).sort());
    if (process.platform !== 'win32') expect(fs.statSync(outbox).mode & 0o777).toBe(0o700);
    for (const d of rows) {
      const name = emlFileName(d.message_id);
      const file = path.join(outbox, name);
      expect(d).toMatchObject({ status: 'sent', attempts: 1, smtp_response: `written outbox/${name}` });
      if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);

      const parsed = await simpleParser(fs.readFileSync(file));
      expect(parsed.messageId).toBe(d.message_id);
      expect(parsed.subject).toBe(SUBJECTS[d.tenant_name]);
      expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : null).toEqual([
        { name: '', address: d.recipient },
      ]);
      expect(parsed.from?.value).toEqual([{ name: 'Billing Desk', address: 'billing@example.com' }]);
      expect(parsed.headers.get('x-usage-charges-tenant')).toBe(d.tenant_name);
      const f = fileOf(w.db, d.tenant_name);
      expect(parsed.attachments.map((a) => a.filename)).toEqual([f.zip_name]);
      expect(Buffer.compare(parsed.attachments[0]!.content, archived(w, f))).toBe(0);
      expect(sha256(parsed.attachments[0]!.content)).toBe(f.sha256);
    }
    expect(rows.map((d) => d.tenant_name).sort()).toEqual(
      Object.entries(DEMO_RECIPIENTS)
        .flatMap(([t, rs]) => rs.map(() => t))
        .sort(),
    );

    const before = fs
      .readdirSync(outbox)
      .map((n) => [n, fs.statSync(path.join(outbox, n)).mtimeMs, sha256(fs.readFileSync(path.join(outbox, n)))]);
    const again = await send(w, later(SEND_AT, 3600));
    expect(again.sent).toEqual([]);
    expect(again.recovered).toBe(0);
    expect(
      fs
        .readdirSync(outbox)
        .map((n) => [n, fs.statSync(path.join(outbox, n)).mtimeMs, sha256(fs.readFileSync(path.join(outbox, n)))]),
    ).toEqual(before);
  });
});
