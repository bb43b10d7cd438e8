/**
 * `usage-charges serve` (docs/operations.md "Monitoring"): the web server on 127.0.0.1, its
 * `/healthz` and `/metrics` read over real HTTP, its security headers, its settings checked at
 * start, and SIGTERM ending it with exit 0. The process is the point here: a child process.
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AS_OF, copyOf, endTest, seedTemplate } from '../helpers/demo-store.ts';
import { startChild } from '../helpers/child.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/store.ts';

let work: { dir: string; cleanup: () => void };
let template: Record<string, string>;

beforeAll(async () => {
  work = tempDir('uc-serve-');
  template = await seedTemplate(work.dir);
});
afterAll(() => work.cleanup());
afterEach(endTest);

/** Starts `serve` on a free port; returns its base URL once it says it listens. */
async function serve(env: Record<string, string>) {
  const child = startChild(['serve'], { ...env, WEB_PORT: '0' });
  await child.waitForStdout(/web server at (http:\/\/127\.0\.0\.1:\d+) /);
  const url = /web server at (http:\/\/127\.0\.0\.1:\d+) /.exec(child.stdout)![1]!;
  return { child, url };
}

describe('usage-charges serve', () => {
  it('answers /healthz and /metrics with the store as it is, with security headers; SIGTERM ends it with exit 0', async () => {
    const env = copyOf(template, work.dir, 'health');
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    const { child, url } = await serve(env);
    expect(child.stdout).toBe(
      `usage-charges web server at ${url} (health: ${url}/healthz, metrics: ${url}/metrics); stop it with Ctrl-C or SIGTERM\n`,
    );

    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.headers.get('cache-control')).toBe('no-store');
    const body = (await health.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'ok', store: 'ok', lease: null, held: 0 });
    expect(body.lastPass).toMatchObject({
      status: 'ok',
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
    });
    expect(body.lastOkPassAt).toBe((body.lastPass as { finishedAt: string }).finishedAt);

    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await metrics.text();
    for (const line of [
      'usage_charges_passes_total{status="ok"} 1',
      'usage_charges_passes_total{status="failed"} 0',
      'usage_charges_pass_duration_seconds_count 1',
      'usage_charges_statements{status="current"} 5',
      'usage_charges_statements{status="void"} 0',
      'usage_charges_deliveries{status="sent"} 5',
      'usage_charges_deliveries{status="pending"} 0',
      'usage_charges_statements_held 0',
      '# TYPE usage_charges_passes_total counter',
      '# TYPE usage_charges_statements gauge',
    ])
      expect(text.split('\n')).toContain(line);
    const lastOk = /^usage_charges_last_successful_pass_timestamp_seconds (\S+)$/m.exec(text)![1]!;
    expect(Number(lastOk) * 1000).toBe(Date.parse((body.lastPass as { finishedAt: string }).finishedAt));

    // Security headers on every answer, a 404 for anything else.
    const csp = health.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(health.headers.get('x-frame-options')).toBe('DENY');
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch(`${url}/nothing-here`)).status).toBe(404);

    child.child.kill('SIGTERM');
    const ended = await child.exited;
    expect(ended.code).toBe(0);
    expect(ended.stdout).toContain('web server stopped\n');
  });

  it('refuses bad settings and a port in use by name, exit 2, without a stack trace', async () => {
    const env = copyOf(template, work.dir, 'settings');
    const port = await runCli(['serve'], { ...env, WEB_PORT: '70000' });
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/WEB_PORT.*must be from 0 to 65535/);
    const host = await runCli(['serve'], { ...env, WEB_HOST: 'not a host' });
    expect(host.code).toBe(2);
    expect(host.stderr).toMatch(/WEB_HOST.*must be an IP address/);
    const base = await runCli(['serve'], { ...env, WEB_BASE_URL: 'ftp://example.com' });
    expect(base.code).toBe(2);
    expect(base.stderr).toMatch(/WEB_BASE_URL.*http:\/\/ or https:\/\//);

    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const taken = (busy.address() as net.AddressInfo).port;
    try {
      const r = await runCli(['serve'], { ...env, WEB_PORT: String(taken) });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `WEB_HOST 127.0.0.1, WEB_PORT ${taken}: cannot listen there (EADDRINUSE); choose another WEB_PORT or WEB_HOST`,
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      busy.close();
    }
  });
});
