/**
 * A test SMTP server (smtp-server on 127.0.0.1) whose DATA can stall: the n-th message is received
 * whole and then left without a reply until the test releases it, so that a test can kill the
 * sender while a message is in flight.
 */
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { closeServer, envelopeOf, listenLocal, PLAIN_SERVER, readData } from './smtp-listen.ts';

/** How the controllable server behaves. */
export interface ControlledSmtpOptions {
  /** The DATA of this message (1 for the first) is read whole, then gets no reply until `release()`. */
  stallData?: number;
}

/** One message as the server read it. */
export interface ControlledMessage {
  envelope: { mailFrom: string | null; rcptTo: string[] };
  raw: Buffer;
  parsed: ParsedMail;
  /** The server replied 250 to its DATA (false for a stalled message not released). */
  acknowledged: boolean;
}

/** A running controllable server. */
export interface ControlledSmtpServer {
  port: number;
  /** `smtp://127.0.0.1:<port>` */
  url: string;
  /** Every message read, in order, the stalled one included. */
  messages: ControlledMessage[];
  /** Resolves with the stalled message once it has been read whole and waits for its reply. */
  stalled: Promise<ControlledMessage>;
  /** Lets the stalled DATA be accepted (250). */
  release(): void;
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 and a free port. */
export async function startControlledSmtpServer(options: ControlledSmtpOptions = {}): Promise<ControlledSmtpServer> {
  const messages: ControlledMessage[] = [];
  let dataCount = 0;
  let onStalled!: (m: ControlledMessage) => void;
  const stalled = new Promise<ControlledMessage>((resolve) => (onStalled = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let closing = false;

  const server = new SMTPServer({
    ...PLAIN_SERVER,
    onData(stream, session, callback) {
      dataCount += 1;
      const stall = dataCount === options.stallData;
      readData(
        stream,
        (raw) => {
          const envelope = envelopeOf(session);
          simpleParser(raw).then(
            async (parsed) => {
              const message: ControlledMessage = { envelope, raw, parsed, acknowledged: false };
              messages.push(message);
              if (stall) {
                onStalled(message);
                await released;
                // Closed while stalled: the message never got its reply.
                if (closing) return callback(Object.assign(new Error('server closing'), { responseCode: 421 }));
              }
              message.acknowledged = true;
              callback(null);
            },
            (err: Error) => callback(err),
          );
        },
        (err) => callback(err),
      );
    },
  });
  const port = await listenLocal(server);
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    stalled,
    release,
    close: () => {
      closing = true;
      release();
      return closeServer(server);
    },
  };
}
