/**
 * A recording SMTP server for crash tests (smtp-server on 127.0.0.1): every message a client
 * starts is kept with how far it got (read whole or cut off, answered 250 or not), and a test can
 * act on a message when its DATA starts or once it has been read whole, before the reply (kill the
 * sender there, or leave the message without a reply for good).
 */
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { closeServer, envelopeOf, listenLocal, PLAIN_SERVER, readData } from './smtp-listen.ts';

/** One message a client started to send, in the order their DATA began. */
export interface RecordedMessage {
  /** 1 for the first DATA this server saw. */
  number: number;
  envelope: { mailFrom: string | null; rcptTo: string[] };
  /** The client's port on 127.0.0.1 (which process sends it can be told from it). */
  remotePort: number;
  /** The bytes that arrived (all of them once `complete`). */
  raw: Buffer;
  /** The whole message arrived (its final dot); false when the client went away in the middle. */
  complete: boolean;
  /** The message parsed, once complete and the server closed (parsing is left to the end, off the senders' path). */
  parsed: ParsedMail | null;
  /** The server replied 250 to it. */
  acknowledged: boolean;
}

/** What the server does at each message. */
export interface SmtpRecorderOptions {
  /** Told when a message's DATA starts, before any of it is read. */
  onDataStart?: (message: RecordedMessage) => void;
  /** Told when a message has been read whole, before the reply; `hold` never replies to it. */
  onDataEnd?: (message: RecordedMessage) => 'reply' | 'hold' | void;
}

/** A running recorder. */
export interface SmtpRecorder {
  port: number;
  /** `smtp://127.0.0.1:<port>` */
  url: string;
  /** Every message started, in order. */
  messages: RecordedMessage[];
  /** Stops the server, then parses every complete message. */
  close(): Promise<void>;
}

/** Starts a recorder on 127.0.0.1 and a free port. */
export async function startSmtpRecorder(options: SmtpRecorderOptions = {}): Promise<SmtpRecorder> {
  const messages: RecordedMessage[] = [];
  const server = new SMTPServer({
    ...PLAIN_SERVER,
    onData(stream, session, callback) {
      const message: RecordedMessage = {
        number: messages.length + 1,
        envelope: envelopeOf(session),
        remotePort: session.remotePort,
        raw: Buffer.alloc(0),
        complete: false,
        parsed: null,
        acknowledged: false,
      };
      messages.push(message);
      readData(
        stream,
        (raw) => {
          message.raw = raw;
          message.complete = true;
          if (options.onDataEnd?.(message) === 'hold') return;
          message.acknowledged = true;
          callback(null);
        },
        (err, partial) => {
          // A client that goes away mid-message: the message stays incomplete.
          message.raw = partial;
          callback(err);
        },
      );
      options.onDataStart?.(message);
    },
  });
  const port = await listenLocal(server);
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    close: async () => {
      await closeServer(server);
      for (const m of messages) if (m.complete && m.parsed === null) m.parsed = await simpleParser(m.raw);
    },
  };
}
