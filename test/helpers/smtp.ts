/** A real SMTP server in the test process (smtp-server on 127.0.0.1), with hooks to refuse on purpose. */
import type { Socket } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { closeServer, envelopeOf, listenLocal, readData, trackSockets } from './smtp-listen.ts';

/** A reply the server gives instead of accepting. */
export interface SmtpReply {
  code: number;
  message?: string;
}

/** How the test server behaves. */
export interface TestSmtpOptions {
  /** Require a login with these credentials (over the plain session, as STARTTLS is off). */
  auth?: { user: string; pass: string };
  /** Refuse this many connections at the greeting first (421 unless `rejectReply` says otherwise). */
  rejectConnections?: number;
  rejectReply?: SmtpReply;
  /** Reply to every MAIL FROM instead of accepting the sender. */
  mailFromReply?: SmtpReply;
  /** Replies to RCPT TO for these addresses (lower case) instead of accepting them. */
  rcptReplies?: Record<string, SmtpReply>;
  /** Reply to the end of DATA instead of accepting the message (the message is still recorded). */
  dataReply?: SmtpReply;
  /**
   * Milliseconds the server waits after a message's data before it replies (a slow server): a
   * number for every message, or a function of the message's number (1 for the first received).
   */
  dataDelayMs?: number | ((messageNumber: number) => number);
  /** The reply to a message's data waits for this promise (after `dataDelayMs`), given the message's number. */
  replyAfter?: (messageNumber: number) => Promise<unknown>;
  /**
   * The messages (by number) whose data reply comes only once the client has closed its connection:
   * later than any client timeout, however slow the machine (a reply after a fixed delay is a race).
   */
  replyLateTo?: (messageNumber: number) => boolean;
  /** Called when a client starts sending a message's data (after RCPT TO). */
  onDataStart?: (envelope: { mailFrom: string | null; rcptTo: string[] }) => void;
  /**
   * Resets the connection (the socket destroyed, no reply) when a message whose envelope this
   * returns true for starts its data: a connection that breaks in the middle of a message.
   */
  resetDataOf?: (envelope: { mailFrom: string | null; rcptTo: string[] }) => boolean;
  /** Further smtp-server options (for example TLS), applied last. */
  server?: Partial<SMTPServerOptions>;
}

/** One message as the server received it. */
export interface ReceivedMessage {
  envelope: { mailFrom: string | null; rcptTo: string[] };
  raw: Buffer;
  parsed: ParsedMail;
  /** The DATA reply was a refusal (`dataReply`). */
  refused: boolean;
}

/** A running test server. */
export interface TestSmtpServer {
  port: number;
  /** `smtp://127.0.0.1:<port>` (with the credentials when `auth` is set). */
  url: string;
  messages: ReceivedMessage[];
  /** Connections seen, refused ones included. */
  readonly connections: number;
  /** User names that logged in. */
  logins: string[];
  /** The name each client gave in EHLO (or HELO), once per message, in order. */
  ehloNames: string[];
  /** Every RCPT TO address the server was given, accepted or refused, in order. */
  rcptTo: string[];
  /** The most connections that were open at once. */
  readonly maxOpenConnections: number;
  /** Connections reset during a message's data (`resetDataOf`). */
  readonly resets: number;
  /** Sets (or, with null, removes) the reply to RCPT TO for an address while the server runs. */
  setRcptReply(address: string, reply: SmtpReply | null): void;
  close(): Promise<void>;
}

function replyError(reply: SmtpReply, fallback: string): Error {
  return Object.assign(new Error(reply.message ?? fallback), { responseCode: reply.code });
}

/** Starts a server on 127.0.0.1 and a free port. */
export async function startSmtpServer(options: TestSmtpOptions = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMessage[] = [];
  const logins: string[] = [];
  const rcptTo: string[] = [];
  const ehloNames: string[] = [];
  let connections = 0;
  let open = 0;
  let maxOpen = 0;
  let resets = 0;
  // The client sockets by their port, so that a connection can be reset from a session.
  const sockets = new Map<number, Socket>();
  const rcptReplies = new Map(Object.entries(options.rcptReplies ?? {}).map(([k, v]) => [k.toLowerCase(), v]));

  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    authOptional: options.auth === undefined,
    allowInsecureAuth: true,
    closeTimeout: 200,
    onConnect(_session, callback) {
      connections += 1;
      open += 1;
      maxOpen = Math.max(maxOpen, open);
      if (connections <= (options.rejectConnections ?? 0))
        return callback(replyError(options.rejectReply ?? { code: 421 }, 'try again later'));
      callback();
    },
    onClose() {
      open -= 1;
    },
    onAuth(auth, _session, callback) {
      const expected = options.auth;
      if (expected && auth.username === expected.user && auth.password === expected.pass) {
        logins.push(auth.username ?? '');
        return callback(null, { user: auth.username });
      }
      callback(replyError({ code: 535 }, '5.7.8 authentication credentials invalid'));
    },
    onMailFrom(address, session, callback) {
      ehloNames.push(session.hostNameAppearsAs);
      if (options.mailFromReply)
        return callback(replyError(options.mailFromReply, `sender ${address.address} refused`));
      callback();
    },
    onRcptTo(address, _session, callback) {
      rcptTo.push(address.address);
      const reply = rcptReplies.get(address.address.toLowerCase());
      if (reply) return callback(replyError(reply, `mailbox ${address.address} refused`));
      callback();
    },
    onData(stream, session, callback) {
      options.onDataStart?.(envelopeOf(session));
      const socket = sockets.get(session.remotePort);
      if (socket !== undefined && options.resetDataOf?.(envelopeOf(session)) === true) {
        resets += 1;
        stream.on('error', () => undefined);
        stream.resume();
        socket.resetAndDestroy();
        return;
      }
      readData(
        stream,
        (raw) => {
          const envelope = envelopeOf(session);
          simpleParser(raw).then(
            (parsed) => {
              messages.push({ envelope, raw, parsed, refused: options.dataReply !== undefined });
              const number = messages.length;
              const answer = (): void =>
                callback(options.dataReply ? replyError(options.dataReply, 'message refused') : null);
              const reply = (): void => {
                if (options.replyAfter) options.replyAfter(number).then(answer, (err: Error) => callback(err));
                else answer();
              };
              const delay =
                typeof options.dataDelayMs === 'function' ? options.dataDelayMs(number) : (options.dataDelayMs ?? 0);
              const client = options.replyLateTo?.(number) === true ? sockets.get(session.remotePort) : undefined;
              if (client !== undefined) client.once('close', reply);
              else if (delay > 0) setTimeout(reply, delay);
              else reply();
            },
            (err: Error) => callback(err),
          );
        },
        (err) => callback(err),
      );
    },
    ...options.server,
  });
  const port = await listenLocal(server);
  trackSockets(server, sockets);
  const credentials = options.auth
    ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.pass)}@`
    : '';
  return {
    port,
    url: `smtp://${credentials}127.0.0.1:${port}`,
    messages,
    get connections() {
      return connections;
    },
    logins,
    ehloNames,
    rcptTo,
    get maxOpenConnections() {
      return maxOpen;
    },
    get resets() {
      return resets;
    },
    setRcptReply(address, reply) {
      if (reply === null) rcptReplies.delete(address.toLowerCase());
      else rcptReplies.set(address.toLowerCase(), reply);
    },
    close: () => closeServer(server),
  };
}
