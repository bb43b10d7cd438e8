/**
 * Draws docs/performance-stages.svg: wall time of each stage of the pass against the tenant count,
 * from the JSON reports of `npm run bench -- ... --json FILE`.
 *
 *   npx tsx bench/chart.ts bench-results/*.json --out docs/performance-stages.svg
 */
import fs from 'node:fs';

interface Report {
  options: { tenants: number; lplatforms: number; servers: number };
  import: { seconds: number };
  close: { seconds: number };
  files: { seconds: number };
  delivery: { seconds: number };
  limitRead: { seconds: number };
  limitDeflate: { seconds: number };
}

const STAGES: { key: string; label: string; color: string; pick: (r: Report) => number }[] = [
  { key: 'import', label: 'import', color: '#7f7f7f', pick: (r) => r.import.seconds },
  { key: 'close', label: 'close', color: '#1f77b4', pick: (r) => r.close.seconds },
  { key: 'files', label: 'files', color: '#ff7f0e', pick: (r) => r.files.seconds },
  { key: 'delivery', label: 'delivery', color: '#2ca02c', pick: (r) => r.delivery.seconds },
  { key: 'limit', label: 'limit (a + b)', color: '#d62728', pick: (r) => r.limitRead.seconds + r.limitDeflate.seconds },
];

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The SVG of the reports (log-log axes: tenants, seconds), points joined per stage. */
export function chartSvg(reports: Report[]): string {
  const sorted = [...reports].sort((a, b) => a.options.tenants - b.options.tenants);
  const width = 720;
  const height = 440;
  const m = { left: 70, right: 150, top: 40, bottom: 60 };
  const xs = sorted.map((r) => r.options.tenants);
  const ys = sorted.flatMap((r) => STAGES.map((s) => s.pick(r)));
  const lx = (v: number): number => Math.log10(v);
  const [x0, x1] = [Math.floor(lx(Math.min(...xs))), Math.ceil(lx(Math.max(...xs)))];
  const [y0, y1] = [Math.floor(lx(Math.max(0.01, Math.min(...ys)))), Math.ceil(lx(Math.max(...ys)))];
  const px = (v: number): number => m.left + ((lx(v) - x0) / Math.max(1, x1 - x0)) * (width - m.left - m.right);
  const py = (v: number): number =>
    height - m.bottom - ((lx(Math.max(0.01, v)) - y0) / Math.max(1, y1 - y0)) * (height - m.top - m.bottom);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="14">Wall time per stage against tenants (M=${sorted[0]?.options.lplatforms ?? '?'}, K=${sorted[0]?.options.servers ?? '?'}; log-log)</text>`,
  );
  for (let e = x0; e <= x1; e++) {
    const x = px(10 ** e);
    out.push(`<line x1="${x}" y1="${m.top}" x2="${x}" y2="${height - m.bottom}" stroke="#e0e0e0"/>`);
    out.push(
      `<text x="${x}" y="${height - m.bottom + 18}" text-anchor="middle">${(10 ** e).toLocaleString('en-US')}</text>`,
    );
  }
  for (let e = y0; e <= y1; e++) {
    const y = py(10 ** e);
    out.push(`<line x1="${m.left}" y1="${y}" x2="${width - m.right}" y2="${y}" stroke="#e0e0e0"/>`);
    out.push(
      `<text x="${m.left - 8}" y="${y + 4}" text-anchor="end">${10 ** e >= 1 ? (10 ** e).toLocaleString('en-US') : String(10 ** e)}</text>`,
    );
  }
  out.push(`<text x="${(m.left + width - m.right) / 2}" y="${height - 18}" text-anchor="middle">tenants</text>`);
  out.push(
    `<text x="18" y="${(m.top + height - m.bottom) / 2}" text-anchor="middle" transform="rotate(-90 18 ${(m.top + height - m.bottom) / 2})">seconds</text>`,
  );
  STAGES.forEach((s, i) => {
    const points = sorted.map((r) => `${px(r.options.tenants).toFixed(1)},${py(s.pick(r)).toFixed(1)}`);
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${points.join(' ')}"/>`);
    for (const r of sorted)
      out.push(
        `<circle cx="${px(r.options.tenants).toFixed(1)}" cy="${py(s.pick(r)).toFixed(1)}" r="3" fill="${s.color}"/>`,
      );
    const ly = m.top + 10 + i * 20;
    out.push(
      `<line x1="${width - m.right + 15}" y1="${ly}" x2="${width - m.right + 40}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`,
    );
    out.push(`<text x="${width - m.right + 46}" y="${ly + 4}">${escapeXml(s.label)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function main(argv: string[]): void {
  const outAt = argv.indexOf('--out');
  const out = outAt >= 0 ? argv[outAt + 1] : undefined;
  const files = argv.filter((a, i) => a !== '--out' && i !== outAt + 1);
  if (out === undefined || files.length === 0) {
    process.stderr.write('usage: tsx bench/chart.ts REPORT.json... --out FILE.svg\n');
    process.exitCode = 2;
    return;
  }
  const reports = files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as Report);
  fs.writeFileSync(out, chartSvg(reports));
  process.stdout.write(`wrote ${out} from ${reports.length} reports\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
