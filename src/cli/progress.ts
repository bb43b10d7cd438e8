/** A progress bar on a terminal (stderr) during the long steps of a pass; nothing when not a terminal. */
import cliProgress from 'cli-progress';
import type { PassStage } from '../../jobs/pass.ts';

const LABELS: Record<PassStage, string> = { close: 'closing', files: 'writing files', send: 'sending mails' };

/** Progress reporting of a pass: `update` per step, `stop` at the end. */
export interface Progress {
  update(stage: PassStage, done: number, total: number): void;
  stop(): void;
}

/** A bar on stderr when it is a terminal, else a no-op. */
export function progressBar(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update: () => undefined, stop: () => undefined };
  let bar: cliProgress.SingleBar | null = null;
  let current: PassStage | null = null;
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
          { stream, format: `${LABELS[stage].padEnd(14)} [{bar}] {value}/{total}  {percentage}%  eta {eta_formatted}`, hideCursor: true, clearOnComplete: false },
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
