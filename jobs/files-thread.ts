/**
 * Statement files on a second thread during the close. The close (main thread) hands over each
 * statement as soon as it is committed; the thread builds its zip from the frozen lines and writes
 * it; the main thread records the written zips in the store (the thread's connection is read-only).
 * Whatever the thread did not do (it failed to start, died, or the pass stopped) is left without a
 * record, and the ordinary files step (`buildFiles`) writes it after the close, in this pass or the
 * next: the zip bytes are the same either way.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { compiledModule } from '../src/paths.ts';
import { recordAudit } from '../src/store/audit.ts';
import { postgresConninfo } from '../src/store/db.ts';
import type { PendingStatement, WrittenZip } from '../src/store/statements.ts';
import { recordWrittenZips, type FilesSummary } from './build-files.ts';
import type { JobContext } from './context.ts';

/** A message to the thread: a statement to write, or the end of the pass's statements. */
export type FilesThreadRequest = { type: 'statement'; statement: PendingStatement } | { type: 'end' };

/** A message from the thread. */
export type FilesThreadReply =
  { type: 'written'; zip: WrittenZip } | { type: 'failed'; statementPk: number; reason: string } | { type: 'done' };

/**
 * The thread's entry, plain JavaScript from the build (dist/jobs/files-worker.js), whether the
 * compiled program or the sources (tests, tsx) start it.
 */
const FILES_WORKER = compiledModule('jobs/files-worker.js');

/** The statements a pass closes before it starts the thread: below this, the files step alone is quicker. */
export const FILES_THREAD_FROM = 32;

/** How many written zips are recorded together (one transaction), while the close runs. */
const RECORD_BATCH = 64;

/**
 * The files thread of one pass. `add` takes each statement the close finalized; the thread is
 * started once `startFrom` statements have come (earlier ones are handed over then). `finish`
 * waits for the thread, records what it wrote and reports it.
 */
export class FilesThread {
  private worker: Worker | null = null;
  private replies: MessagePort | null = null;
  private readonly waiting: PendingStatement[] = [];
  private readonly handed = new Map<number, PendingStatement>();
  private readonly unrecorded: WrittenZip[] = [];
  private readonly summary: FilesSummary = { written: [], failed: [] };
  /** Statements the thread failed: the files step does not try them again in this pass. */
  readonly failedPks = new Set<number>();
  private startError: string | null = null;
  private exited = false;

  /** `startFrom` and `entry` default to the context's test knobs, then to FILES_THREAD_FROM and files-worker.js. */
  constructor(
    private readonly ctx: JobContext,
    private readonly options: { startFrom?: number; entry?: URL; recordBatch?: number } = {},
  ) {}

  /**
   * A statement the close has just committed. Never throws: when recording the thread's zips
   * fails (a busy store, say), the thread is given up and its unrecorded zips are left to the
   * files step, which writes them again as the same bytes.
   */
  add(statement: PendingStatement): void {
    if (this.startError !== null || this.exited) return;
    try {
      if (this.worker === null) {
        this.waiting.push(statement);
        if (this.waiting.length >= (this.options.startFrom ?? this.ctx.faults.filesThreadFrom ?? FILES_THREAD_FROM))
          this.start();
        return;
      }
      this.hand(statement);
      this.take();
      if (this.unrecorded.length >= (this.options.recordBatch ?? RECORD_BATCH)) this.record();
    } catch (err) {
      this.startError = (err as Error).message;
      this.ctx.log.warn(
        { reason: this.startError },
        'the statement-files thread is given up; the files step writes the rest',
      );
      this.unrecorded.length = 0;
      void this.stop();
    }
  }

  /** Ends the thread at once, recording nothing more (a close that failed, a thread given up). */
  async abort(): Promise<void> {
    this.unrecorded.length = 0;
    await this.stop();
  }

  private async stop(): Promise<void> {
    const worker = this.worker;
    this.replies?.close();
    this.replies = null;
    this.exited = true;
    if (worker !== null) await worker.terminate();
  }

  private start(): void {
    try {
      const { port1, port2 } = new MessageChannel();
      this.worker = new Worker(this.options.entry ?? this.ctx.faults.filesThreadEntry ?? FILES_WORKER, {
        workerData: { config: this.ctx.config, replies: port2, conninfo: postgresConninfo(this.ctx.store) },
        transferList: [port2],
      });
      this.replies = port1;
      this.worker.on('error', (err) => {
        this.startError = err.message;
        this.ctx.log.warn(
          { reason: err.message },
          'the statement-files thread stopped; the files step writes the rest',
        );
      });
      this.worker.on('exit', () => {
        this.exited = true;
      });
    } catch (err) {
      this.startError = (err as Error).message;
      this.ctx.log.warn(
        { reason: this.startError },
        'the statement-files thread could not start; the files step writes the files',
      );
      return;
    }
    for (const s of this.waiting.splice(0)) this.hand(s);
  }

  private hand(statement: PendingStatement): void {
    this.handed.set(statement.statementPk, statement);
    this.worker!.postMessage({ type: 'statement', statement } satisfies FilesThreadRequest);
  }

  /** Takes the thread's replies that have arrived, without waiting. Returns true once it is done. */
  private take(): boolean {
    if (this.replies === null) return true;
    for (let m = receiveMessageOnPort(this.replies); m !== undefined; m = receiveMessageOnPort(this.replies)) {
      if (this.handle(m.message as FilesThreadReply)) return true;
    }
    return false;
  }

  private handle(reply: FilesThreadReply): boolean {
    if (reply.type === 'done') return true;
    if (reply.type === 'written') {
      this.unrecorded.push(reply.zip);
      return false;
    }
    const s = this.handed.get(reply.statementPk);
    this.handed.delete(reply.statementPk);
    if (s === undefined) return false;
    this.failedPks.add(s.statementPk);
    recordAudit(this.ctx.store, this.ctx.now().toISOString(), 'files-failed', s.tenantName, {
      billingMonth: s.billingMonth,
      reason: reply.reason,
    });
    this.summary.failed.push({ tenant: s.tenantName, billingMonth: s.billingMonth, reason: reply.reason });
    return false;
  }

  /** Records the written zips taken so far. */
  private record(): void {
    if (this.unrecorded.length === 0) return;
    const zips = this.unrecorded.splice(0);
    recordWrittenZips(this.ctx.store, zips, this.ctx.now().toISOString());
    for (const z of zips) {
      const s = this.handed.get(z.statementPk);
      this.handed.delete(z.statementPk);
      if (s !== undefined)
        this.summary.written.push({
          tenant: s.tenantName,
          billingMonth: s.billingMonth,
          zip: z.relative,
          bytes: z.bytes,
        });
    }
  }

  /** Ends the thread once it has written what it was given; records and reports it. */
  async finish(): Promise<FilesSummary> {
    const worker = this.worker;
    // A thread that died still left on the port the replies it sent before (zips it wrote).
    if (this.exited && this.replies !== null) {
      this.take();
      this.replies.close();
      this.replies = null;
    }
    if (worker !== null && this.replies !== null && !this.exited) {
      const replies = this.replies;
      await new Promise<void>((resolve) => {
        if (this.take()) return resolve();
        const finished = (): void => {
          replies.off('message', onReply);
          worker.off('exit', finished);
          // Replies sent before the thread exited are still queued on the port.
          this.take();
          resolve();
        };
        const onReply = (m: FilesThreadReply): void => {
          if (this.handle(m)) finished();
        };
        replies.on('message', onReply);
        worker.once('exit', finished);
        worker.postMessage({ type: 'end' } satisfies FilesThreadRequest);
      });
      this.replies.close();
      await worker.terminate();
    }
    try {
      this.record();
    } catch (err) {
      // Left without a record: the files step writes these zips again (the same bytes) and
      // reports what it cannot do.
      this.ctx.log.warn(
        { reason: (err as Error).message },
        'the zips of the statement-files thread cannot be recorded; the files step writes them',
      );
    }
    return this.summary;
  }
}
