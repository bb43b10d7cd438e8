/**
 * The documented systemd install: the unit's Environment= lines, then its EnvironmentFile= (the
 * copied .env.example) applied over them as systemd does, and the program started as the unit
 * starts it, from its working directory (a child process: the process and its environment are the
 * point). The program must use the unit's DATA_DIR and run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config.ts';
import { cli, hasStackTrace, ROOT } from '../helpers/cli.ts';
import { tempDir } from '../helpers/store.ts';

const UNIT = path.join(ROOT, 'deploy', 'usage-charges.service');
const ENV_EXAMPLE = path.join(ROOT, '.env.example');

let work: { dir: string; cleanup: () => void };
beforeAll(() => {
  work = tempDir('uc-systemd-');
});
afterAll(() => work.cleanup());

/** The words of a systemd value: split on blanks, with double or single quotes grouping. */
function words(value: string): string[] {
  return [...value.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/** The [Service] section of the unit: every directive with its values, in order (comments and line continuations as systemd reads them). */
function serviceDirectives(text: string): [string, string][] {
  const out: [string, string][] = [];
  let section = '';
  for (const line of text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())) {
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const eq = line.indexOf('=');
    if (section === 'Service' && eq > 0) out.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return out;
}

/** The assignments of an environment file as systemd reads one: KEY=VALUE lines, # and ; comments, quotes removed. */
function environmentFile(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    if (/^".*"$|^'.*'$/.test(value)) value = value.slice(1, -1);
    out.push([line.slice(0, eq).trim(), value]);
  }
  return out;
}

/**
 * The file the install steps (the unit's header) copy to `target`: the line
 * `install ... <source> <target>`.
 */
function installedFrom(unitText: string, target: string): string {
  const line = unitText.split('\n').find((l) => /^#\s+install\s/.test(l) && l.includes(` ${target}`));
  expect(line, `the unit's install steps put a file at ${target}`).toBeDefined();
  const parts = words(line!.replace(/^#\s+/, '').replace(/\s+#.*$/, ''));
  return parts[parts.indexOf(target) - 1]!;
}

describe('the systemd unit with .env.example as its EnvironmentFile', () => {
  it('every setting in .env.example is a comment showing its default: nothing in it overrides the unit', () => {
    const text = fs.readFileSync(ENV_EXAMPLE, 'utf8');
    expect(environmentFile(text)).toEqual([]);
    for (const [name, fallback] of Object.entries(SETTINGS)) {
      expect(text.split('\n'), name).toContain(`# ${name}=${fallback}`);
    }
  });

  it("started as the unit starts it, from its working directory, the program uses the unit's DATA_DIR and runs", () => {
    const unitText = fs.readFileSync(UNIT, 'utf8');
    const directives = serviceDirectives(unitText);
    // The machine's paths, moved under a temp folder (the test cannot write /var/lib or /opt).
    const root = path.join(work.dir, 'host');
    const onHost = (p: string): string => path.join(root, p);

    // systemd: the Environment= assignments in order (later wins), then each EnvironmentFile= over them.
    const env: Record<string, string> = {};
    for (const [key, value] of directives) {
      if (key !== 'Environment') continue;
      for (const word of words(value)) {
        const eq = word.indexOf('=');
        env[word.slice(0, eq)] = word.slice(eq + 1);
      }
    }
    const unitDataDir = env.DATA_DIR;
    expect(unitDataDir).toBe('/var/lib/usage-charges');
    const files = directives.filter(([key]) => key === 'EnvironmentFile').map(([, value]) => value.replace(/^-/, ''));
    expect(files).toEqual(['/etc/usage-charges/usage-charges.env']);
    for (const file of files) {
      // The install steps copy .env.example there.
      expect(installedFrom(unitText, file)).toBe('.env.example');
      fs.mkdirSync(path.dirname(onHost(file)), { recursive: true });
      fs.copyFileSync(ENV_EXAMPLE, onHost(file));
      for (const [key, value] of environmentFile(fs.readFileSync(onHost(file), 'utf8'))) env[key] = value;
    }
    // Absolute paths of the settings live under the temp host; relative ones stay relative (to the working directory).
    for (const [key, value] of Object.entries(env)) if (path.isAbsolute(value)) env[key] = onHost(value);

    const workingDirectory = directives.find(([key]) => key === 'WorkingDirectory')?.[1];
    expect(workingDirectory).toBe('/opt/usage-charges');
    const cwd = onHost(workingDirectory!);
    fs.mkdirSync(cwd, { recursive: true });
    const exec = words(directives.find(([key]) => key === 'ExecStart')![1]);
    expect(exec.slice(-1)).toEqual(['schedule']);
    expect(exec[1]).toBe('/opt/usage-charges/bin/usage-charges.js');
    const dataDir = onHost(unitDataDir!);
    // The install step: `install -d -o usage-charges ... /var/lib/usage-charges`.
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });

    // The program (of this checkout) with that environment, from that working directory: the
    // service's own verb runs forever, so the same store is filled and read by seed-demo and status.
    const seed = cli(['seed-demo', '--as-of', '2026-11-01T00:00:00Z'], env, cwd);
    expect(seed.stderr).toBe('');
    expect(seed.code).toBe(0);
    const status = cli(['status'], env, cwd);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`store: ${dataDir}/usage-charges.sqlite`);
    expect(status.stdout).toMatch(/^tenants: 5 /m);
    expect(fs.existsSync(path.join(dataDir, 'usage-charges.sqlite'))).toBe(true);
    // Nothing was made in the working directory (./data/runtime, the default, is not used).
    expect(fs.readdirSync(cwd)).toEqual([]);
    expect(hasStackTrace(seed.stderr + status.stderr)).toBe(false);

    // A .env in the working directory fills only what the environment leaves unset: it never moves DATA_DIR.
    fs.writeFileSync(path.join(cwd, '.env'), 'DATA_DIR=./elsewhere\nBILLING_TZ=Asia/Tokyo\n');
    const withDotEnv = cli(['status'], env, cwd);
    expect(withDotEnv.code).toBe(0);
    expect(withDotEnv.stdout).toContain(`store: ${dataDir}/usage-charges.sqlite`);
    expect(withDotEnv.stdout).toContain('billing time zone: Asia/Tokyo');
    expect(fs.existsSync(path.join(cwd, 'elsewhere'))).toBe(false);
  });
});

describe('the web server unit', () => {
  it('runs serve as the same user, with the same settings, data and hardening as the service', () => {
    const service = new Map(serviceDirectives(fs.readFileSync(UNIT, 'utf8')));
    const web = new Map(
      serviceDirectives(fs.readFileSync(path.join(ROOT, 'deploy', 'usage-charges-web.service'), 'utf8')),
    );
    expect(web.get('ExecStart')).toBe('/usr/bin/node /opt/usage-charges/bin/usage-charges.js serve');
    expect(web.get('TimeoutStopSec')).toBe('30');
    // The month-end pass is a batch job: it yields the CPU to the pages, which run at the default priority.
    expect(service.get('Nice')).toBe('10');
    expect(web.has('Nice')).toBe(false);
    for (const [name, value] of service) {
      if (name === 'ExecStart' || name === 'TimeoutStopSec' || name === 'Nice') continue;
      expect([name, web.get(name)]).toEqual([name, value]);
    }
  });
});
