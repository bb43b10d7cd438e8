/**
 * Fault hooks for the reliability proof suite (docs/reliability.md). They do nothing unless their
 * environment variable is set, and must never be set in production:
 *
 * - `USAGE_CHARGES_CRASH_AT=<point>[#<n>]` kills the process (SIGKILL: no handler, no clean-up,
 *   as a power cut or the OOM killer would) the n-th time (default: the first) it reaches `<point>`;
 *   the points are in CRASH_POINTS.
 * - `USAGE_CHARGES_TEST_NOW=<ISO instant>` is the clock of `run` (finalization, delivery and file
 *   times), so that runs killed and resumed at different moments write the same bytes as one
 *   uninterrupted run. The month-end lease keeps the real clock.
 * - `USAGE_CHARGES_FAIL_AT=<point>[#<n>]:<CODE>` makes the n-th (default: the first) write at
 *   `<point>` fail with an error whose `code` is CODE (`ENOSPC` for a full disk, `EIO`, `EDQUOT`...),
 *   as the operating system would report it; only that one write fails (counted in each process and
 *   thread). The points are in FAIL_POINTS. `store:SQLITE_FULL` holds the store to its size (storeFullWanted).
 */
import { getSystemErrorMap } from 'node:util';

/** Where a crash can be injected: in the order a pass reaches them, then an operator's commands. */
export const CRASH_POINTS = [
  /** Inside a tenant's close transaction: lines and deliveries written, not committed. */
  'close-before-commit',
  /** Right after a tenant's close transaction committed. */
  'close-after-commit',
  /** A zip's temporary file written and fsynced, not yet renamed to its name. */
  'zip-before-rename',
  /** Zips written under their names, not yet recorded in the store. */
  'files-before-record',
  /** A message accepted by the mail server (or written as .eml), its delivery not yet marked sent. */
  'send-before-mark',
  /** Inside an import's transaction: every row and the audit written, not committed. */
  'import-before-commit',
  /** Inside the transaction of a `hold` or a `release`: the holds and the audit written, not committed. */
  'review-before-commit',
  /** Inside the transaction of a `void` or a `reissue`: the void or the new revision, its mails and the audit written, not committed. */
  'revision-before-commit',
  /** Right after a `reissue` committed: its zip not written, its mails not sent. */
  'reissue-after-commit',
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

const seen = new Map<string, number>();

/** Kills the process here when USAGE_CHARGES_CRASH_AT names this point (and this is its n-th time). */
export function crashPoint(point: CrashPoint): void {
  const spec = process.env.USAGE_CHARGES_CRASH_AT;
  if (spec === undefined || spec === '') return;
  const [name, nth] = spec.split('#');
  if (name !== point) return;
  const count = (seen.get(point) ?? 0) + 1;
  seen.set(point, count);
  if (count === Number(nth ?? '1')) process.kill(process.pid, 'SIGKILL');
}

/** Where a write error can be injected. */
export const FAIL_POINTS = [
  /**
   * A file written by writeFileAtomic (a statement zip, a zip a resend repairs, an `--out` file):
   * its temporary file created, its bytes not yet written.
   */
  'zip-write',
  /** An `.eml` file's temporary file created in the outbox, before its bytes are written. */
  'eml-write',
  /** A folder the program makes (DATA_DIR, DATA_DIR/statements/YYYYMM) that does not exist yet, before mkdir. */
  'folder-create',
] as const;

export type FailPoint = (typeof FAIL_POINTS)[number];

const failSeen = new Map<string, number>();

/** The text the system gives for an error code (`ENOSPC` -> `no space left on device`). */
function systemMessage(code: string): string {
  for (const [name, message] of getSystemErrorMap().values()) if (name === code) return message;
  return 'injected failure';
}

/** Throws here, as a failed write would, when USAGE_CHARGES_FAIL_AT names this point (and this is its n-th time). */
export function failPoint(point: FailPoint): void {
  const spec = process.env.USAGE_CHARGES_FAIL_AT;
  if (spec === undefined || spec === '') return;
  const m = /^([a-z-]+)(?:#(\d+))?:([A-Z][A-Z0-9_]*)$/.exec(spec);
  if (m === null) throw new Error(`USAGE_CHARGES_FAIL_AT: "${spec}" is not <point>[#<n>]:<CODE>`);
  if (m[1] !== point) return;
  const count = (failSeen.get(point) ?? 0) + 1;
  failSeen.set(point, count);
  if (count !== Number(m[2] ?? '1')) return;
  const code = m[3]!;
  const syscall = point === 'folder-create' ? 'mkdir' : 'write';
  throw Object.assign(new Error(`${code}: ${systemMessage(code)}, ${syscall} (injected at ${point})`), {
    code,
    syscall,
  });
}

/**
 * Whether `USAGE_CHARGES_FAIL_AT=store:SQLITE_FULL` asks to hold the store to the size it has when
 * it is opened, as a full disk would: every later write that needs more room fails with SQLite's
 * SQLITE_FULL (the store does it: src/store/db.ts).
 */
export function storeFullWanted(): boolean {
  return process.env.USAGE_CHARGES_FAIL_AT === 'store:SQLITE_FULL';
}

/** Forgets how often each point was reached (tests that run the program several times in one process). */
export function resetFaultCounts(): void {
  seen.clear();
  failSeen.clear();
}

/** The fixed clock USAGE_CHARGES_TEST_NOW asks for, or null. */
export function testClock(): (() => Date) | null {
  const spec = process.env.USAGE_CHARGES_TEST_NOW;
  if (spec === undefined || spec === '') return null;
  const at = new Date(spec);
  if (Number.isNaN(at.getTime())) throw new Error(`USAGE_CHARGES_TEST_NOW: "${spec}" is not an ISO instant`);
  return () => new Date(at.getTime());
}

/** The fault hooks that are set, to warn about at start-up. */
export function activeFaultHooks(): string[] {
  return ['USAGE_CHARGES_CRASH_AT', 'USAGE_CHARGES_TEST_NOW', 'USAGE_CHARGES_FAIL_AT'].filter(
    (k) => (process.env[k] ?? '') !== '',
  );
}
