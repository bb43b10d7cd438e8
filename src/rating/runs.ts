/** Runs of use: records of one resource joined where one starts exactly where the last ended. */
import type { UsageRecord } from './types.ts';

/** A stretch of uninterrupted use: records joined where one starts exactly where the last ended. */
export interface Run {
  start: number;
  end: number;
  records: UsageRecord[];
}

/** Joins interval records (sorted by start, not overlapping) into runs of continued use. */
export function joinRuns(records: readonly UsageRecord[]): Run[] {
  const runs: Run[] = [];
  for (const r of records) {
    const end = r.end ?? r.start;
    const last = runs[runs.length - 1];
    if (last && r.start <= last.end) {
      last.end = Math.max(last.end, end);
      last.records.push(r);
    } else {
      runs.push({ start: r.start, end, records: [r] });
    }
  }
  return runs;
}
