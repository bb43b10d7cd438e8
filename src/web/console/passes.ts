/**
 * "Run a pass now" (POST `/passes`, operators): `usage-charges run` started as a child process with
 * the server's settings, so that the pages stay responsive while it works. Never two at once: while
 * the month-end lease is live (a pass, a resend or a re-issue holds it), or a pass started here has
 * not taken it yet, the request is refused at once, naming who holds it since when. Audited
 * (`pass-requested`, with the operator's e-mail).
 *
 * The child is reaped when it ends (its exit is logged). It runs in its own process group and is not
 * waited for: closing the server (Ctrl-C in its terminal, a restart) leaves it running to its end;
 * a stop of the whole service sends it SIGTERM, on which a pass finishes the message in flight,
 * releases the lease and stops (the next pass goes on from there).
 */
import os from 'node:os';
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { monthEndLease } from '../../../jobs/with-lease.ts';
import { PACKAGE_ROOT } from '../../paths.ts';
import { recordAudit } from '../../store/audit.ts';
import { ownerProcessGone } from '../../store/leases.ts';
import { personOf } from '../access.ts';
import type { WebContext } from '../server.ts';

/** A pass started from this server, until its process ends. */
interface StartedPass {
  by: string;
  at: string;
  pid: number | undefined;
}

const started = new WeakMap<WebContext, StartedPass>();

/** What holds the month-end lease now (or a pass started here that has not taken it yet), or null. */
export interface RunningPass {
  /** The lease's owner (`host:pid:random`), or null while a pass started here has not taken it yet. */
  owner: string | null;
  /** Since when it holds the lease (or was started). */
  since: string;
  /** Its last heartbeat, or null. */
  heartbeatAt: string | null;
  /** The e-mail of the operator who started it from the web, when it was. */
  requestedBy: string | null;
}

/** The pass running now: the month-end lease while it is live, else a pass started here still starting. */
export function runningPass(ctx: WebContext): RunningPass | null {
  const mine = started.get(ctx);
  // On PostgreSQL each worker's pass has its own lease: one of them live is a pass running.
  const lease = monthEndLease(ctx.store, ctx.now());
  if (lease !== undefined && lease.expiresAt > ctx.now().toISOString() && !ownerProcessGone(lease.owner)) {
    const pid = /:(\d+):[0-9a-f]+$/.exec(lease.owner)?.[1];
    return {
      owner: lease.owner,
      since: lease.acquiredAt,
      heartbeatAt: lease.heartbeatAt,
      requestedBy: mine !== undefined && String(mine.pid) === pid ? mine.by : null,
    };
  }
  if (mine === undefined) return null;
  return { owner: null, since: mine.at, heartbeatAt: null, requestedBy: mine.by };
}

/** The command line program (bin/usage-charges.js) the child runs. */
const PROGRAM = path.join(PACKAGE_ROOT, 'bin', 'usage-charges.js');

/** The niceness of a pass started from the web (lower priority than the server's requests). */
const PASS_NICENESS = 10;

/** Starts `usage-charges run --as-of NOW` as a child of the server; throws when it cannot be started. */
function startPass(ctx: WebContext, by: string): void {
  const now = ctx.now().toISOString();
  const child = spawn(process.execPath, [PROGRAM, 'run', '--as-of', now], {
    cwd: process.cwd(),
    env: { ...(ctx.env ?? process.env), DATA_DIR: ctx.config.dataDir },
    // Its own process group: a Ctrl-C meant for the server does not stop it; its report and log go
    // where the server's do.
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  // A batch job beside the pages: it yields the CPU to the server's requests (as `Nice=` of the
  // month-end service's systemd unit does for the nightly pass).
  if (child.pid !== undefined) {
    try {
      os.setPriority(child.pid, PASS_NICENESS);
    } catch {
      // (A system that refuses it runs the pass at the server's priority.)
    }
  }
  const pass: StartedPass = { by, at: now, pid: child.pid };
  started.set(ctx, pass);
  const done = (): void => {
    if (started.get(ctx) === pass) started.delete(ctx);
  };
  child.once('error', (err) => {
    done();
    ctx.log?.error({ err, by }, 'the pass asked for on the web could not be started');
  });
  child.once('exit', (code, signal) => {
    done();
    ctx.log?.info({ pid: child.pid, code, signal, by }, 'the pass asked for on the web ended');
  });
  // The server may close while it runs: it is not waited for.
  child.unref();
}

/** The page a refused request gets: the dashboard, saying which pass runs. */
type RefusedPage = (request: FastifyRequest, reply: FastifyReply, running: RunningPass) => FastifyReply;

/** Registers POST `/passes`; `refused` answers with the dashboard and its message (the pass that runs). */
export function registerPasses(app: FastifyInstance, ctx: WebContext, refused: RefusedPage): void {
  app.post('/passes', { config: { access: 'operator' } }, async (request, reply) => {
    const running = runningPass(ctx);
    if (running !== null) return refused(request, reply, running);
    const { user } = personOf(request);
    recordAudit(ctx.store, ctx.now().toISOString(), 'pass-requested', '*', { email: user.email });
    startPass(ctx, user.email);
    return reply.redirect('/?pass=started', 303);
  });
}
