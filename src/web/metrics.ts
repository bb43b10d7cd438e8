/** The Prometheus text exposition (version 0.0.4) of the monitoring facts. Pure. */
import type { MonitoringFacts } from '../store/monitoring.ts';

/** One metric: its help, its type and its samples (labels, value). */
function metric(
  name: string,
  help: string,
  type: 'counter' | 'gauge',
  samples: { labels?: Record<string, string>; value: number }[],
): string[] {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const s of samples) {
    const labels = Object.entries(s.labels ?? {})
      .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
      .join(',');
    lines.push(`${name}${labels === '' ? '' : `{${labels}}`} ${Number.isFinite(s.value) ? s.value : 0}`);
  }
  return lines;
}

const seconds = (iso: string | null): number => (iso === null ? 0 : Date.parse(iso) / 1000);

/** The text `/metrics` answers. */
export function prometheusText(f: MonitoringFacts): string {
  const passStatuses = ['ok', 'failed', 'interrupted', 'running'];
  const deliveryStatuses = ['pending', 'sending', 'sent', 'failed', 'withdrawn'];
  return (
    [
      ...metric(
        'usage_charges_passes_total',
        'Month-end passes recorded, by how they ended (running: one going on).',
        'counter',
        passStatuses.map((status) => ({ labels: { status }, value: f.passes[status] ?? 0 })),
      ),
      ...metric('usage_charges_pass_duration_seconds_sum', 'Seconds the finished passes took, in all.', 'counter', [
        { value: f.passSecondsSum },
      ]),
      ...metric('usage_charges_pass_duration_seconds_count', 'Finished passes.', 'counter', [
        { value: f.passesFinished },
      ]),
      ...metric('usage_charges_last_pass_duration_seconds', 'Seconds the last finished pass took.', 'gauge', [
        { value: f.lastPass?.seconds ?? 0 },
      ]),
      ...metric(
        'usage_charges_last_successful_pass_timestamp_seconds',
        'When the last pass that ended ok finished (Unix time; 0: never).',
        'gauge',
        [{ value: seconds(f.lastOkPassAt) }],
      ),
      ...metric(
        'usage_charges_statements',
        'Statements by status: current (the finalized revision of a month), open (a close that failed), void, replaced.',
        'gauge',
        (['current', 'open', 'void', 'replaced'] as const).map((status) => ({
          labels: { status },
          value: f.statements[status],
        })),
      ),
      ...metric(
        'usage_charges_deliveries',
        'Statement mails by status.',
        'gauge',
        deliveryStatuses.map((status) => ({ labels: { status }, value: f.deliveries[status] ?? 0 })),
      ),
      ...metric('usage_charges_statements_held', 'Statements held for review now.', 'gauge', [{ value: f.held }]),
    ].join('\n') + '\n'
  );
}
