/** Where the CLI writes: results to stdout, problems to stderr (replaceable in tests). */

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

/** C0 and C1 controls, DEL, and the Unicode line and paragraph separators. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const BREAKS_A_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * A stored or received text (a tenant name, an address, a server reply, a reason) as the report
 * shows it: as it is, or as a JSON string (every control character escaped as in JSON) when it
 * holds one, so that no value can end a report line or forge another one.
 */
export function shown(text: string): string {
  if (!BREAKS_A_LINE.test(text)) return text;
  // JSON.stringify escapes C0 controls only; DEL, C1 and U+2028/2029 are escaped here the same way.
  return JSON.stringify(text).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
