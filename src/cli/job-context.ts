/** The job context of a verb, over the CLI context's store and settings (loaded with the verb, not at start-up). */
import { jobContext, type JobContext, type JobContextParts } from '../../jobs/context.ts';
import type { CliContext } from './context.ts';

/** The context of the jobs a verb runs: a silent log and the real clock unless `parts` says otherwise. */
export function verbJobContext(ctx: CliContext, parts: JobContextParts = {}): JobContext {
  return jobContext(ctx.db(), ctx.config(), parts);
}
