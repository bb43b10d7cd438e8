/**
 * The statement-files thread: builds and writes the zips of statements the close has just
 * finalized, from their frozen lines, on its own read-only connection, while the main thread
 * closes the next tenants. It writes files only; the main thread records them in the store.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { Config } from '../src/config.ts';
import { forEachConcurrently } from '../src/domain/concurrency.ts';
import { closeStore, openReadOnlyPostgresStore, openReadOnlyStore } from '../src/store/db.ts';
import type { PendingStatement } from '../src/store/statements.ts';
import { FILES_IN_FLIGHT, filesFailure, writeStatementZip } from './build-files.ts';
import type { FilesThreadReply, FilesThreadRequest } from './files-thread.ts';

// `conninfo`: the PostgreSQL database of the main thread's store; none: the SQLite file under DATA_DIR.
const { config, replies, conninfo } = workerData as { config: Config; replies: MessagePort; conninfo?: string };
const db =
  conninfo !== undefined ? openReadOnlyPostgresStore(conninfo, 60_000) : openReadOnlyStore(config.dataDir, 60_000);

// Statements sent by the main thread and not yet taken, and the writers waiting for one.
const queue: PendingStatement[] = [];
const waiting: ((s: PendingStatement | undefined) => void)[] = [];
// Paths written by this thread in this pass: the main thread records them later, so the store
// does not know them yet.
const claimed = new Set<string>();
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

/** The next statement to write, when the main thread sends one; none once it said the pass ends. */
function nextStatement(): PendingStatement | undefined | Promise<PendingStatement | undefined> {
  if (queue.length > 0) return queue.shift();
  if (ending) return undefined;
  return new Promise((resolve) => waiting.push(resolve));
}

parentPort!.on('message', (m: FilesThreadRequest) => {
  if (m.type === 'end') {
    ending = true;
    for (const writer of waiting.splice(0)) writer(undefined);
  } else {
    const writer = waiting.shift();
    if (writer !== undefined) writer(m.statement);
    else queue.push(m.statement);
  }
});

// The thread ends once the main thread said the pass ends and every zip it was sent is written.
void forEachConcurrently(nextStatement, FILES_IN_FLIGHT, writeOne).then(() => {
  closeStore(db);
  reply({ type: 'done' });
  replies.close();
  parentPort!.close();
});
