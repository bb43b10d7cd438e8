/**
 * The statement-files thread: builds and writes the zips of statements the close has just
 * finalized, from their frozen lines, on its own read-only connection, while the main thread
 * closes the next tenants. It writes files only; the main thread records them in the store.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { Config } from '../src/config.ts';
import { closeStore, openReadOnlyStore } from '../src/store/db.ts';
import type { PendingStatement } from '../src/store/statements.ts';
import { FILES_IN_FLIGHT, filesFailure, writeStatementZip } from './build-files.ts';
import type { FilesThreadReply, FilesThreadRequest } from './files-thread.ts';

const { config, replies } = workerData as { config: Config; replies: MessagePort };
const db = openReadOnlyStore(config.dataDir, 60_000);

const queue: PendingStatement[] = [];
// Paths written by this thread in this pass: the main thread records them later, so the store
// does not know them yet.
const claimed = new Set<string>();
let running = 0;
let ending = false;

function reply(message: FilesThreadReply): void {
  replies.postMessage(message);
}

async function writeOne(s: PendingStatement): Promise<void> {
  try {
    reply({ type: 'written', zip: await writeStatementZip(db, config, s, claimed) });
  } catch (err) {
    reply({ type: 'failed', statementPk: s.statementPk, reason: filesFailure(err) });
  }
}

function pump(): void {
  while (running < FILES_IN_FLIGHT && queue.length > 0) {
    const s = queue.shift()!;
    running++;
    void writeOne(s).finally(() => {
      running--;
      pump();
    });
  }
  if (ending && running === 0 && queue.length === 0) {
    closeStore(db);
    reply({ type: 'done' });
    replies.close();
    parentPort!.close();
  }
}

parentPort!.on('message', (m: FilesThreadRequest) => {
  if (m.type === 'end') ending = true;
  else queue.push(m.statement);
  pump();
});
