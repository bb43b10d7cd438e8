/**
 * A scriptable test SMTP server (smtp-server on 127.0.0.1) for fault scenarios: the greeting, MAIL
 * FROM, each RCPT TO and each message's DATA can be delayed, refused or cut off, as a function of
 * how many times that step was seen; optional STARTTLS with a given key and certificate; records
 * every recipient, message and whether its session was TLS.
 */
import net, { type AddressInfo, type Socket } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { closeServer, envelopeOf, listenLocal, trackSockets } from './smtp-listen.ts';

/** A reply the server gives instead of going on. */
export interface ScriptReply {
  code: number;
  message: string;
}

/** What the server knows of a message when it decides how to answer its DATA. */
export interface DataStep {
  envelope: { mailFrom: string | null; rcptTo: string[] };
  /** The Message-ID header of the data (read from its header block). */
  messageId: string | null;
  /** How many times a message to this first recipient has reached DATA, this one included (1 for the first). */
  attempt: number;
  /** The session runs over TLS. */
  secure: boolean;
}

/**
 * Holds a reply until the client has closed its connection: later than any client timeout, however
 * slow the machine (a reply after a fixed delay races the client's timer).
 */
export interface LateReply {
  untilClientLeaves: true;
}

/**
 * How to answer a message's DATA: accept (undefined), refuse with a reply, reply only after a
 * delay or once the client has left (the message is received whole first), or reset the
 * connection once the header block has arrived (the message is cut off, no reply).
 */
export type DataAction = undefined | { reply: ScriptReply } | { delayMs: number } | LateReply | { reset: true };

/** How the scripted server behaves; every hook is optional (default: accept). */
export interface ScriptedSmtpOptions {
  /** Listen on this port of 127.0.0.1 (default: a free one). */
  port?: number;
  /**
   * For the n-th connection (1 for the first): refuse it at the greeting, greet only after a delay,
   * or begin the greeting at once and end it only once the client has left (see SLOW_GREETING).
   */
  greeting?: (connection: number) => undefined | { reply: ScriptReply } | { delayMs: number } | LateReply;
  /** Answer to MAIL FROM instead of accepting the sender. */
  mailFrom?: (step: { address: string; secure: boolean }) => ScriptReply | undefined;
  /** Answer to RCPT TO; `attempt` counts the RCPT commands for this address, this one included. */
  rcptTo?: (address: string, attempt: number) => ScriptReply | undefined;
  /** Answer to a message's DATA. */
  data?: (step: DataStep) => DataAction;
  /** Offer STARTTLS with this key and certificate (without it, STARTTLS is not offered). */
  tls?: { key: string; cert: string };
}

/** One message (or the start of one, when cut off) as the server received it. */
export interface ScriptedMessage {
  envelope: { mailFrom: string | null; rcptTo: string[] };
  messageId: string | null;
  attempt: number;
  secure: boolean;
  /** `accepted` (250), `refused` (a DATA reply of 4xx/5xx), `late` (accepted after a delay or once the client left), `cut` (connection reset mid-DATA). */
  outcome: 'accepted' | 'refused' | 'late' | 'cut';
  /** The parsed message (null when it was cut off). */
  parsed: ParsedMail | null;
}

/** A running scripted server. */
export interface ScriptedSmtpServer {
  port: number;
  /** `smtp://127.0.0.1:<port>` */
  url: string;
  /** Connections seen, refused ones included. */
  readonly connections: number;
  /** Every RCPT TO, in order, with the code it got (250 when accepted). */
  rcpts: { address: string; code: number }[];
  /** Every MAIL FROM, with whether its session was TLS and the code it got. */
  mailFroms: { address: string; secure: boolean; code: number }[];
  messages: ScriptedMessage[];
  close(): Promise<void>;
}

function refusal(reply: ScriptReply): Error {
  return Object.assign(new Error(reply.message), { responseCode: reply.code });
}

function headerMessageId(head: string): string | null {
  return /^Message-ID:[ \t]*(<[^>\r\n]+>)/im.exec(head)?.[1] ?? null;
}

/**
 * The continuation line of a greeting that never ends (RFC 5321 multi-line reply: `220-` lines,
 * the last one would be `220 `). A client waits for the last line until its greeting timeout; the
 * lines keep its connection from being idle, so that the greeting timeout, and not the idle
 * timeout of the same length, is what ends the wait, however the two timers would tie.
 */
const SLOW_GREETING = '220-127.0.0.1 the greeting is slow today\r\n';

/** A port of 127.0.0.1 that nothing listens on just now (for a server that is down, then comes up). */
export async function unusedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Starts a scripted server on 127.0.0.1. */
export async function startScriptedSmtpServer(options: ScriptedSmtpOptions = {}): Promise<ScriptedSmtpServer> {
  let connections = 0;
  const rcpts: ScriptedSmtpServer['rcpts'] = [];
  const mailFroms: ScriptedSmtpServer['mailFroms'] = [];
  const messages: ScriptedMessage[] = [];
  const rcptCounts = new Map<string, number>();
  const dataCounts = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  // The client sockets by their port, so that a session can reset its connection.
  const sockets = new Map<number, Socket>();
  /**
   * Sends continuation lines of a greeting (SLOW_GREETING) to the client on `remotePort` at once and
   * every 100 ms until it has gone: the greeting never ends while the client waits for it.
   */
  const slowGreeting = (remotePort: number): void => {
    const socket = sockets.get(remotePort);
    if (socket === undefined || socket.destroyed) return;
    const line = (): void => void socket.write(SLOW_GREETING);
    line();
    const timer = setInterval(line, 100);
    socket.once('close', () => clearInterval(timer));
  };
  /** Runs `fn` once the client on `remotePort` has closed its connection (at once if it has). */
  const whenClientLeaves = (remotePort: number, fn: () => void): void => {
    const socket = sockets.get(remotePort);
    if (socket === undefined || socket.destroyed) fn();
    else socket.once('close', fn);
  };

  const server = new SMTPServer({
    logger: false,
    disabledCommands: options.tls ? ['AUTH'] : ['STARTTLS', 'AUTH'],
    authOptional: true,
    secure: false,
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    closeTimeout: 200,
    onConnect(session, callback) {
      connections += 1;
      const step = options.greeting?.(connections);
      if (step === undefined) return callback();
      if ('reply' in step) return callback(refusal(step.reply));
      if ('untilClientLeaves' in step) {
        slowGreeting(session.remotePort);
        return whenClientLeaves(session.remotePort, () => callback());
      }
      later(step.delayMs, () => callback());
    },
    onMailFrom(address, session, callback) {
      const reply = options.mailFrom?.({ address: address.address, secure: session.secure });
      mailFroms.push({ address: address.address, secure: session.secure, code: reply?.code ?? 250 });
      callback(reply ? refusal(reply) : undefined);
    },
    onRcptTo(address, _session, callback) {
      const key = address.address.toLowerCase();
      const attempt = (rcptCounts.get(key) ?? 0) + 1;
      rcptCounts.set(key, attempt);
      const reply = options.rcptTo?.(key, attempt);
      rcpts.push({ address: key, code: reply?.code ?? 250 });
      callback(reply ? refusal(reply) : undefined);
    },
    onData(stream, session, callback) {
      const envelope = envelopeOf(session);
      const first = (envelope.rcptTo[0] ?? '').toLowerCase();
      const attempt = (dataCounts.get(first) ?? 0) + 1;
      dataCounts.set(first, attempt);
      const chunks: Buffer[] = [];
      let action: DataAction | null = null;
      let cut = false;
      // The action is chosen once the header block (with the Message-ID) has arrived.
      const decide = (): void => {
        if (action !== null) return;
        const head = Buffer.concat(chunks).toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        action = options.data?.({
          envelope,
          messageId: headerMessageId(head.slice(0, end)),
          attempt,
          secure: session.secure,
        });
        if (action !== undefined && 'reset' in action) {
          cut = true;
          messages.push({
            envelope,
            messageId: headerMessageId(head.slice(0, end)),
            attempt,
            secure: session.secure,
            outcome: 'cut',
            parsed: null,
          });
          stream.on('error', () => undefined);
          stream.resume();
          sockets.get(session.remotePort)?.resetAndDestroy();
        }
      };
      stream.on('data', (chunk: Buffer) => {
        if (cut) return;
        chunks.push(chunk);
        decide();
      });
      stream.on('error', (err) => {
        if (!cut) callback(err);
      });
      stream.on('end', () => {
        if (cut) return;
        if (action === null) action = options.data?.({ envelope, messageId: null, attempt, secure: session.secure });
        const chosen = action;
        simpleParser(Buffer.concat(chunks)).then(
          (parsed) => {
            const outcome =
              chosen === undefined
                ? 'accepted'
                : 'reply' in chosen
                  ? 'refused'
                  : 'delayMs' in chosen || 'untilClientLeaves' in chosen
                    ? 'late'
                    : 'accepted';
            messages.push({
              envelope,
              messageId: parsed.messageId ?? null,
              attempt,
              secure: session.secure,
              outcome,
              parsed,
            });
            if (chosen !== undefined && 'reply' in chosen) callback(refusal(chosen.reply));
            else if (chosen !== undefined && 'delayMs' in chosen) later(chosen.delayMs, () => callback(null));
            else if (chosen !== undefined && 'untilClientLeaves' in chosen)
              whenClientLeaves(session.remotePort, () => callback(null));
            else callback(null);
          },
          (err: Error) => callback(err),
        );
      });
    },
  });
  const port = await listenLocal(server, options.port);
  trackSockets(server, sockets);
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    rcpts,
    mailFroms,
    messages,
    close: () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets.values()) s.destroy();
      return closeServer(server);
    },
  };
}
