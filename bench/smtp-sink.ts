/** An SMTP server on 127.0.0.1 (a free port) that accepts every message and throws it away: the benchmark's mail sink. */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A running sink. */
export interface SmtpSink {
  /** `smtp://127.0.0.1:<port>` */
  url: string;
  /** Messages accepted so far. */
  readonly accepted: number;
  /** Bytes of message data received so far. */
  readonly bytes: number;
  close(): Promise<void>;
}

/** Starts the sink: no TLS, no login, every sender and recipient accepted, the data read and discarded. */
export async function startSmtpSink(): Promise<SmtpSink> {
  let accepted = 0;
  let bytes = 0;
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    closeTimeout: 200,
    onData(stream, _session, callback) {
      stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
      stream.on('error', callback);
      stream.on('end', () => {
        accepted += 1;
        callback(null);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A client that drops its connection is not the benchmark's concern.
  server.on('error', () => undefined);
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    get bytes() {
      return bytes;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
