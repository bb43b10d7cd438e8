/** Where the CLI writes: results to stdout, problems to stderr (replaceable in tests). */
import type { OpenHold } from '../store/holds.ts';
import { shown } from '../domain/text.ts';

export { shown };

/** The two streams a verb writes to. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** Where progress bars go (default: stderr, and only when it is a terminal). */
  progress?: NodeJS.WriteStream;
}

// A reader that goes away (`usage-charges status | head`) is not a failure: stop writing quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

export const processOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Formats rows as a left-aligned text table with a header line (each cell as `shown`). */
export function table(header: string[], body: string[][]): string[] {
  const rows = body.map((r) => r.map(shown));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/**
 * A record with its keys as the store's columns are named (`tenantName` -> `tenant_name`): what the
 * `--json` outputs of `status` and `history` print.
 */
export function snakeCaseKeys(record: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(record).map(([key, value]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value]),
  );
}

/** `  held for review: 3 statements of 2026-10 (since T); usage-charges release --month 2026-10 sends their mails`, a line per month. */
export function heldLines(held: readonly OpenHold[]): string[] {
  const months = [...new Set(held.map((h) => h.billingMonth))];
  return months.map((month) => {
    const of = held.filter((h) => h.billingMonth === month);
    const since = of.map((h) => h.heldAt).sort()[0]!;
    return `  held for review: ${of.length} ${of.length === 1 ? 'statement' : 'statements'} of ${month} (since ${since}); usage-charges release --month ${month} sends their mails`;
  });
}
