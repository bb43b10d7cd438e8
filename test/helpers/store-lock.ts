/**
 * Another process writing to the store: a child that opens the SQLite file, takes its write lock
 * (`BEGIN EXCLUSIVE`) and holds it until the test releases it (then rolls back: nothing changes).
 */
import path from 'node:path';
import { startChild, type CliChild } from './child.ts';

/** The child's program: lock, say so, wait for `release` on stdin (or stdin closing), roll back. */
const HOLDER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1], { fileMustExist: true });
db.pragma('busy_timeout = 30000');
db.exec('BEGIN EXCLUSIVE');
process.stdout.write('locked\\n');
let done = false;
const release = () => {
  if (done) return;
  done = true;
  db.exec('ROLLBACK');
  db.close();
  process.stdout.write('released\\n');
  process.exit(0);
};
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => { if (d.includes('release')) release(); });
process.stdin.on('end', release);
`;

/** A held write lock on a store. */
export interface StoreLock {
  child: CliChild;
  /** Rolls back and ends the child; resolves once the lock is gone. */
  release(): Promise<void>;
}

/** Takes the write lock of the store in `dataDir` in a child process; resolves once it is held. */
export async function holdStoreLock(dataDir: string): Promise<StoreLock> {
  const child = startChild([path.join(dataDir, 'usage-charges.sqlite')], {}, { command: ['-e', HOLDER] });
  await child.waitForStdout(/^locked$/m);
  return {
    child,
    async release() {
      child.child.stdin.write('release\n');
      const end = await child.exited;
      if (end.code !== 0 || !/^released$/m.test(end.stdout))
        throw new Error(`the lock holder did not end cleanly (${end.code}):\n${end.stdout}\n${end.stderr}`);
    },
  };
}

/** The program of a lock-holding thread: on `{ holdMs }`, lock, say `locked`, wait, roll back, say `released`. */
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 30000');
parentPort.on('message', ({ holdMs }) => {
  db.exec('BEGIN EXCLUSIVE');
  parentPort.postMessage('locked');
  setTimeout(() => {
    db.exec('ROLLBACK');
    db.close();
    parentPort.postMessage('released');
  }, holdMs);
});
parentPort.postMessage('ready');
`;

/** Another connection, on its own thread, ready to take the store's write lock for a while. */
export interface ThreadLock {
  /** Takes the write lock and holds it for `holdMs` (its own event loop times it); resolves once it is held. */
  hold(holdMs: number): Promise<void>;
  /** Resolves once the lock was released. */
  released: Promise<void>;
  terminate(): Promise<void>;
}

/** Starts a thread with its own connection to the store in `dataDir`; resolves once it is ready. */
export async function lockThread(dataDir: string): Promise<ThreadLock> {
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker(THREAD, { eval: true, workerData: { file: path.join(dataDir, 'usage-charges.sqlite') } });
  const said = (word: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: unknown): void => {
        if (m === word) {
          worker.off('message', onMessage);
          resolve();
        }
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  await said('ready');
  const released = said('released');
  released.catch(() => undefined);
  return {
    async hold(holdMs) {
      const locked = said('locked');
      worker.postMessage({ holdMs });
      await locked;
    },
    released,
    async terminate() {
      await worker.terminate();
    },
  };
}
