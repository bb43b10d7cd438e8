/**
 * Progress bars on a terminal (stderr) during the long steps of a pass and during an import;
 * nothing when the stream is not a terminal (a pipe, a log file, the service).
 */
import cliProgress from 'cli-progress';
import type { JobStage } from '../../jobs/context.ts';

const LABELS: Record<JobStage, string> = { close: 'closing', files: 'writing files', send: 'sending mails' };
/** What each step counts. */
const UNITS: Record<JobStage, string> = { close: 'statements', files: 'files', send: 'mails' };

/** Progress reporting of a pass: `update` per step, `stop` at the end. */
export interface Progress {
  update(stage: JobStage, done: number, total: number): void;
  stop(): void;
}

/** A bar on the stream when it is a terminal, else a no-op. */
export function progressBar(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update: () => undefined, stop: () => undefined };
  let bar: cliProgress.SingleBar | null = null;
  let current: JobStage | null = null;
  const stop = (): void => {
    bar?.stop();
    bar = null;
    current = null;
  };
  return {
    update(stage, done, total) {
      if (total === 0) return;
      if (stage !== current) {
        stop();
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: `${LABELS[stage].padEnd(14)} [{bar}] {value}/{total} ${UNITS[stage]}  {percentage}%  eta {eta_formatted}`,
            hideCursor: true,
            clearOnComplete: false,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, done);
        current = stage;
      } else {
        bar?.update(done);
      }
    },
    stop,
  };
}

/** Progress of an import: rows read so far and rows per second. */
export interface RowProgress {
  row(rows: number): void;
  stop(): void;
}

/** Rows and rows per second of an import on the stream when it is a terminal, else a no-op. */
export function importProgress(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  clock: () => number = Date.now,
): RowProgress {
  if (!stream.isTTY) return { row: () => undefined, stop: () => undefined };
  const started = clock();
  let bar: cliProgress.SingleBar | null = null;
  let rows = 0;
  const rate = (): string => {
    const seconds = (clock() - started) / 1000;
    return seconds > 0 ? String(Math.round(rows / seconds)) : '-';
  };
  return {
    row(n) {
      rows = n;
      if (bar === null) {
        // The number of rows is not known before the end of the file: no bar, a count and a rate.
        bar = new cliProgress.SingleBar({
          stream,
          format: `importing ${label}  {value} rows  {rate} rows/s`,
          hideCursor: true,
          clearOnComplete: false,
        });
        bar.start(0, n, { rate: rate() });
      } else {
        bar.update(n, { rate: rate() });
      }
    },
    stop() {
      if (bar !== null) {
        bar.update(rows, { rate: rate() });
        bar.stop();
      }
      bar = null;
    },
  };
}
