/**
 * `usage-charges serve`: the web server on WEB_HOST:WEB_PORT, until SIGINT or SIGTERM. It answers
 * `/healthz` and `/metrics` for the monitoring of an unattended install.
 */
import type { Command } from 'commander';
import { UsageChargesError } from '../domain/errors.ts';
import { createMailer } from '../mail/transport.ts';
import type { CliContext } from './context.ts';
import { onStopSignals } from './signals.ts';

/** The address the server is reached at: WEB_BASE_URL, else http://host:port. */
export function publicUrl(baseUrl: string | null, host: string, port: number): string {
  if (baseUrl !== null) return baseUrl;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return `http://${shownHost}:${port}`;
}

/** A web server started for a verb: where it is reached, and how to close it. */
export interface StartedWeb {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the web server on WEB_HOST:WEB_PORT for a verb (`serve`, `schedule --web`), its links
 * mailed through the statement mailer; a port that cannot be used is an E_LISTEN error naming both.
 */
export async function startWeb(ctx: CliContext): Promise<StartedWeb> {
  const config = ctx.config();
  const log = ctx.logger();
  // Loaded here: only the verbs that serve pages load the web framework.
  const { buildWebServer } = await import('../web/server.ts');
  // Links in mails name WEB_BASE_URL, else the address the server listens on (known once it does).
  let base = config.web.baseUrl ?? publicUrl(null, config.web.host, config.web.port);
  const mailer = createMailer(config);
  const app = await buildWebServer({
    store: ctx.db(),
    config,
    now: () => new Date(),
    log,
    mailer,
    publicUrl: () => base,
  });
  try {
    await app.listen({ host: config.web.host, port: config.web.port });
  } catch (err) {
    mailer.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL')
      throw new UsageChargesError(
        'E_LISTEN',
        `WEB_HOST ${config.web.host}, WEB_PORT ${config.web.port}: cannot listen there (${code}); choose another WEB_PORT or WEB_HOST`,
        { cause: err },
      );
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.web.port;
  base = publicUrl(config.web.baseUrl, config.web.host, port);
  log.info({ host: config.web.host, port, url: base }, 'web server listening');
  return {
    url: base,
    close: async () => {
      await app.close();
      mailer.close();
    },
  };
}

export function registerServe(program: Command, ctx: CliContext): void {
  program.command('serve').action(async () => {
    const log = ctx.logger();
    const stop = onStopSignals((signal) => log.info({ signal }, 'stop requested: closing the web server'));
    let web: StartedWeb;
    try {
      web = await startWeb(ctx);
    } catch (err) {
      stop.dispose();
      throw err;
    }
    const { url } = web;
    ctx.output.out(
      `usage-charges web server at ${url} (health: ${url}/healthz, metrics: ${url}/metrics); stop it with Ctrl-C or SIGTERM`,
    );
    try {
      await stop.whenRequested;
    } finally {
      stop.dispose();
      await web.close();
    }
    ctx.output.out('web server stopped');
  });
}
