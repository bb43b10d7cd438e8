/**
 * What the in-process test SMTP servers (smtp-server) share: listening on 127.0.0.1, reading a
 * message's data, its envelope, the client sockets, and closing.
 */
import type { AddressInfo, Socket } from 'node:net';
import type { SMTPServer, SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from 'smtp-server';

/** The options of a plain test server: no log, no STARTTLS, no login, and a short wait for clients at close. */
export const PLAIN_SERVER = {
  logger: false,
  disabledCommands: ['STARTTLS', 'AUTH'],
  authOptional: true,
  closeTimeout: 200,
} satisfies SMTPServerOptions;

/** A session's envelope: the sender (null when there was none) and the recipients, in order. */
export interface Envelope {
  mailFrom: string | null;
  rcptTo: string[];
}

export function envelopeOf(session: SMTPServerSession): Envelope {
  return {
    mailFrom: session.envelope.mailFrom === false ? null : session.envelope.mailFrom.address,
    rcptTo: session.envelope.rcptTo.map((r) => r.address),
  };
}

/**
 * Reads a message's data whole: `onEnd` gets its bytes; `onError` gets the stream's error and the
 * bytes read until then (a client that goes away mid-message destroys the stream with an error).
 */
export function readData(
  stream: SMTPServerDataStream,
  onEnd: (raw: Buffer) => void,
  onError: (err: Error, partial: Buffer) => void,
): void {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('error', (err: Error) => onError(err, Buffer.concat(chunks)));
  stream.on('end', () => onEnd(Buffer.concat(chunks)));
}

/**
 * Starts the server on 127.0.0.1 and `port` (default: a free one); returns the port. Errors after
 * the start are ignored: clients that drop or reset their connections are what the tests do.
 */
export async function listenLocal(server: SMTPServer, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined);
  return (server.server.address() as AddressInfo).port;
}

/** Keeps each open client socket in `sockets` by its remote port, so that a session can reset its connection. */
export function trackSockets(server: SMTPServer, sockets: Map<number, Socket>): void {
  // First of the listeners: the socket is known before the server's session starts (and greets).
  server.server.prependListener('connection', (socket: Socket) => {
    const port = socket.remotePort;
    if (port === undefined) return;
    sockets.set(port, socket);
    socket.once('close', () => sockets.delete(port));
  });
}

/** Stops the server; resolves once it has closed. */
export function closeServer(server: SMTPServer): Promise<void> {
  return new Promise<void>((resolve) => server.close(() => resolve()));
}
