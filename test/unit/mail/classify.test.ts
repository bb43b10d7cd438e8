import { describe, expect, it } from 'vitest';
import { UsageChargesError } from '../../../src/domain/errors.ts';
import { classifySendError, safeText } from '../../../src/mail/classify.ts';

/** An error shaped the way nodemailer (or Node's fs) hands it over. */
function smtpError(message: string, props: Record<string, unknown>): Error {
  return Object.assign(new Error(message), props);
}

describe('classifySendError', () => {
  it.each([
    [
      '550 on RCPT',
      smtpError("Can't send mail - all recipients were rejected: 550 5.1.1 mailbox unavailable", {
        code: 'EENVELOPE',
        responseCode: 550,
        response: '550 5.1.1 mailbox unavailable',
        command: 'RCPT TO',
      }),
      true,
      false,
    ],
    [
      '554 on DATA',
      smtpError('Message failed: 554 5.6.0 message refused', {
        code: 'EMESSAGE',
        responseCode: 554,
        response: '554 5.6.0 message refused',
        command: 'DATA',
      }),
      true,
      false,
    ],
    [
      '552 message too large',
      smtpError('Message failed', { code: 'EMESSAGE', responseCode: 552, response: '552 5.3.4 message too big' }),
      true,
      false,
    ],
    [
      '451 on RCPT',
      smtpError('rejected', { code: 'EENVELOPE', responseCode: 451, response: '451 4.3.0 try later' }),
      false,
      false,
    ],
    [
      '452 storage',
      smtpError('rejected', { code: 'EMESSAGE', responseCode: 452, response: '452 4.3.1 insufficient storage' }),
      false,
      false,
    ],
    [
      '421 closing',
      smtpError('closing', { code: 'EPROTOCOL', responseCode: 421, response: '421 4.3.2 service shutting down' }),
      false,
      true,
    ],
    [
      '503 bad sequence',
      smtpError('bad', { code: 'EPROTOCOL', responseCode: 503, response: '503 5.5.1 bad sequence of commands' }),
      false,
      false,
    ],
    [
      '535 login refused',
      smtpError('Invalid login: 535 5.7.8 bad credentials', {
        code: 'EAUTH',
        responseCode: 535,
        response: '535 5.7.8 bad credentials',
      }),
      false,
      true,
    ],
    [
      '530 STARTTLS first',
      smtpError('x', {
        code: 'EENVELOPE',
        responseCode: 530,
        response: '530 5.7.0 Must issue a STARTTLS command first',
      }),
      false,
      true,
    ],
    [
      '530 login first',
      smtpError('x', { code: 'EENVELOPE', responseCode: 530, response: '530 5.7.0 Authentication required' }),
      false,
      true,
    ],
    [
      'STARTTLS not offered',
      smtpError('Error upgrading connection with STARTTLS: 500 command not recognized', {
        code: 'ETLS',
        responseCode: 500,
        response: '500 command not recognized',
        command: 'STARTTLS',
      }),
      false,
      true,
    ],
    [
      '554 greeting',
      smtpError('Invalid greeting', {
        code: 'EPROTOCOL',
        responseCode: 554,
        response: '554 5.7.1 client host blocked',
        command: 'CONN',
      }),
      false,
      true,
    ],
    [
      '550 to EHLO',
      smtpError('Invalid EHLO', {
        code: 'EPROTOCOL',
        responseCode: 550,
        response: '550 5.7.1 bad HELO name',
        command: 'EHLO',
      }),
      false,
      true,
    ],
    [
      '553 sender refused',
      smtpError('Mail command failed', {
        code: 'EENVELOPE',
        responseCode: 553,
        response: '553 5.7.1 sender not owned by user',
        command: 'MAIL FROM',
      }),
      false,
      true,
    ],
    [
      '552 size at MAIL FROM',
      smtpError('Mail command failed', {
        code: 'EENVELOPE',
        responseCode: 552,
        response: '552 5.3.4 message size exceeds limit',
        command: 'MAIL FROM',
      }),
      true,
      false,
    ],
    [
      'connection refused',
      smtpError('connect ECONNREFUSED 127.0.0.1:2525', {
        code: 'ESOCKET',
        originalCode: 'ECONNREFUSED',
        address: '127.0.0.1',
        port: 2525,
      }),
      false,
      true,
    ],
    [
      'greeting timeout',
      smtpError('Greeting never received', { code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT' }),
      false,
      true,
    ],
    ['connection closed', smtpError('Connection closed unexpectedly', { code: 'ECONNECTION' }), false, true],
    ['DNS', smtpError('getaddrinfo ENOTFOUND mail.invalid', { code: 'EDNS', originalCode: 'ENOTFOUND' }), false, true],
    ['TLS', smtpError('Error initiating TLS - certificate has expired', { code: 'ETLS' }), false, true],
    ['login without credentials', smtpError('Missing credentials for "PLAIN"', { code: 'EAUTH' }), false, true],
    [
      'outbox not writable',
      smtpError("EACCES: permission denied, open 'outbox/x.eml'", { code: 'EACCES', syscall: 'open' }),
      false,
      true,
    ],
    ['disk full', smtpError('ENOSPC: no space left on device, write', { code: 'ENOSPC' }), false, true],
    ['not an Error', 'something odd', false, true],
  ])('%s', (_label, err, permanent, serverDown) => {
    const f = classifySendError(err);
    expect({ permanent: f.permanent, serverDown: f.serverDown }).toEqual({ permanent, serverDown });
    expect(f.reason).not.toBe('');
    expect(f.reason).not.toMatch(/[\r\n]/);
  });

  // A failure before the message was handed over is the session's or the settings': it is not an
  // attempt of the delivery. Anything once the message is under way (a reset, a socket timeout, a
  // reply to RCPT or DATA) is.
  it.each([
    // no connection
    [
      'connection refused',
      smtpError('connect ECONNREFUSED 127.0.0.1:2525', {
        code: 'ESOCKET',
        originalCode: 'ECONNREFUSED',
        address: '127.0.0.1',
        port: 2525,
      }),
      true,
    ],
    [
      'no route to the host',
      smtpError('connect EHOSTUNREACH 192.0.2.1:25', {
        code: 'ESOCKET',
        originalCode: 'EHOSTUNREACH',
        address: '192.0.2.1',
        port: 25,
      }),
      true,
    ],
    [
      'network unreachable',
      smtpError('connect ENETUNREACH 192.0.2.1:25', {
        code: 'ESOCKET',
        originalCode: 'ENETUNREACH',
        address: '192.0.2.1',
        port: 25,
      }),
      true,
    ],
    [
      'name not found',
      smtpError('getaddrinfo ENOTFOUND mail.invalid', { code: 'EDNS', originalCode: 'ENOTFOUND' }),
      true,
    ],
    [
      'name lookup failed for now',
      smtpError('getaddrinfo EAI_AGAIN mail.example.com', { code: 'EDNS', originalCode: 'EAI_AGAIN' }),
      true,
    ],
    ['TLS failed', smtpError('Error initiating TLS - certificate has expired', { code: 'ETLS' }), true],
    ['connect timeout', smtpError('Connection timeout', { code: 'ETIMEDOUT', timeoutType: 'CONNECT_TIMEOUT' }), true],
    [
      'greeting timeout',
      smtpError('Greeting never received', { code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT' }),
      true,
    ],
    [
      'TLS upgrade timeout',
      smtpError('TLS handshake timed out', { code: 'ETIMEDOUT', timeoutType: 'UPGRADE_TIMEOUT' }),
      true,
    ],
    // refusals of the session or the settings
    [
      '421 greeting',
      smtpError('Invalid greeting', {
        code: 'EPROTOCOL',
        responseCode: 421,
        response: '421 4.3.2 service not available',
        command: 'CONN',
      }),
      true,
    ],
    [
      '554 greeting',
      smtpError('Invalid greeting', {
        code: 'EPROTOCOL',
        responseCode: 554,
        response: '554 5.7.1 client host blocked',
        command: 'CONN',
      }),
      true,
    ],
    [
      '550 to EHLO',
      smtpError('Invalid EHLO', {
        code: 'EPROTOCOL',
        responseCode: 550,
        response: '550 5.7.1 bad HELO name',
        command: 'EHLO',
      }),
      true,
    ],
    [
      '535 login refused',
      smtpError('Invalid login: 535 5.7.8 bad credentials', {
        code: 'EAUTH',
        responseCode: 535,
        response: '535 5.7.8 bad credentials',
        command: 'AUTH PLAIN',
      }),
      true,
    ],
    ['login without credentials', smtpError('Missing credentials for "PLAIN"', { code: 'EAUTH' }), true],
    [
      '530 STARTTLS first',
      smtpError('x', {
        code: 'EENVELOPE',
        responseCode: 530,
        response: '530 5.7.0 Must issue a STARTTLS command first',
      }),
      true,
    ],
    [
      'STARTTLS not offered',
      smtpError('Error upgrading connection with STARTTLS: 500 command not recognized', {
        code: 'ETLS',
        responseCode: 500,
        response: '500 command not recognized',
        command: 'STARTTLS',
      }),
      true,
    ],
    [
      '553 sender refused',
      smtpError('Mail command failed', {
        code: 'EENVELOPE',
        responseCode: 553,
        response: '553 5.7.1 sender not owned by user',
        command: 'MAIL FROM',
      }),
      true,
    ],
    [
      '550 sender rejected',
      smtpError('Mail command failed', {
        code: 'EENVELOPE',
        responseCode: 550,
        response: '550 5.7.1 sender rejected',
        command: 'MAIL FROM',
      }),
      true,
    ],
    // not SMTP at all, and our own errors that are not about the message
    [
      'outbox not writable',
      smtpError("EACCES: permission denied, open 'outbox/x.eml'", { code: 'EACCES', syscall: 'open' }),
      true,
    ],
    ['disk full', smtpError('ENOSPC: no space left on device, write', { code: 'ENOSPC' }), true],
    ['not an Error', 'something odd', true],
    [
      'a template that cannot be read',
      new UsageChargesError('E_MAIL_TEMPLATE', 'mail template templates/ja/text.eta cannot be read'),
      true,
    ],
    [
      'a sender (MAIL_FROM) that is no address',
      new UsageChargesError('E_MAIL_SENDER', 'sender "x" is not one plain e-mail address'),
      true,
    ],
    [
      'a pool that gave up on a server closing every connection',
      Object.assign(new Error('Reached maximum number of retries after connection was closed'), {
        code: 'ECONNECTION',
        command: 'CONN',
      }),
      true,
    ],
    // once the message is under way
    [
      '552 size at MAIL FROM',
      smtpError('Mail command failed', {
        code: 'EENVELOPE',
        responseCode: 552,
        response: '552 5.3.4 message size exceeds limit',
        command: 'MAIL FROM',
      }),
      false,
    ],
    ['connection reset', smtpError('read ECONNRESET', { code: 'ESOCKET', originalCode: 'ECONNRESET' }), false],
    ['broken pipe', smtpError('write EPIPE', { code: 'ESOCKET', originalCode: 'EPIPE' }), false],
    [
      'socket timeout',
      smtpError('Timeout', { code: 'ETIMEDOUT', timeoutType: 'SOCKET_TIMEOUT', command: 'CONN' }),
      false,
    ],
    ['connection closed', smtpError('Connection closed unexpectedly', { code: 'ECONNECTION', command: 'CONN' }), false],
    [
      '550 on RCPT',
      smtpError('rejected', {
        code: 'EENVELOPE',
        responseCode: 550,
        response: '550 5.1.1 mailbox unavailable',
        command: 'RCPT TO',
      }),
      false,
    ],
    [
      '451 on RCPT',
      smtpError('rejected', {
        code: 'EENVELOPE',
        responseCode: 451,
        response: '451 4.3.0 try later',
        command: 'RCPT TO',
      }),
      false,
    ],
    [
      '421 after RCPT',
      smtpError('closing', {
        code: 'EENVELOPE',
        responseCode: 421,
        response: '421 4.3.2 shutting down',
        command: 'RCPT TO',
      }),
      false,
    ],
    [
      '554 on DATA',
      smtpError('Message failed', {
        code: 'EMESSAGE',
        responseCode: 554,
        response: '554 5.6.0 message refused',
        command: 'DATA',
      }),
      false,
    ],
    [
      '452 on DATA',
      smtpError('Message failed', {
        code: 'EMESSAGE',
        responseCode: 452,
        response: '452 4.3.1 insufficient storage',
        command: 'DATA',
      }),
      false,
    ],
    [
      '503 bad sequence',
      smtpError('bad', {
        code: 'EPROTOCOL',
        responseCode: 503,
        response: '503 5.5.1 bad sequence of commands',
        command: 'DATA',
      }),
      false,
    ],
    [
      'a recipient that is no address',
      new UsageChargesError('E_MAIL_ADDRESS', 'recipient "x" is not one plain e-mail address'),
      false,
    ],
    [
      'an attachment name that cannot be used',
      new UsageChargesError('E_MAIL_ATTACHMENT', 'attachment name "a/b.zip" is not a plain file name'),
      false,
    ],
  ])('%s: session is %s', (_label, err, session) => {
    expect(classifySendError(err).session).toBe(session);
  });

  it('writes readable reasons', () => {
    expect(
      classifySendError(
        smtpError('x', { code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 mailbox unavailable' }),
      ),
    ).toEqual({
      permanent: true,
      serverDown: false,
      session: false,
      reason: '550 5.1.1 mailbox unavailable (permanent)',
      response: '550 5.1.1 mailbox unavailable',
    });
    expect(
      classifySendError(
        smtpError('connect ECONNREFUSED 127.0.0.1:2525', {
          code: 'ESOCKET',
          originalCode: 'ECONNREFUSED',
          address: '127.0.0.1',
          port: 2525,
        }),
      ).reason,
    ).toBe('connection refused by 127.0.0.1:2525');
    expect(
      classifySendError(smtpError('x', { code: 'EAUTH', responseCode: 535, response: '535 5.7.8 bad credentials' }))
        .reason,
    ).toContain('SMTP_URL');
  });

  it('fails a delivery whose address cannot be used, without stopping the others', () => {
    expect(
      classifySendError(new UsageChargesError('E_MAIL_ADDRESS', 'recipient "x" is not one plain e-mail address')),
    ).toMatchObject({ permanent: true, serverDown: false });
    expect(
      classifySendError(new UsageChargesError('E_MAIL_TEMPLATE', 'mail template templates/ja/text.eta cannot be read')),
    ).toMatchObject({ permanent: false, serverDown: true });
  });

  it('never puts an SMTP password into the reason or the response', () => {
    const secret = 'S3cr%3At-pa55';
    const errors = [
      smtpError(`getaddrinfo ENOTFOUND smtp://mailer:${secret}@mail.example.com:587`, { code: 'EDNS' }),
      smtpError(`cannot connect to smtps://mailer:${secret}@mail.example.com`, { code: 'ECONNECTION' }),
      smtpError(`login as mailer:${secret}@mail.example.com failed`, { code: 'EAUTH' }),
      smtpError('x', {
        code: 'EAUTH',
        responseCode: 535,
        response: `535 5.7.8 mailer:${secret}@mail.example.com refused`,
      }),
      smtpError(`odd (mailer:${secret}@mail.example.com)`, { code: 'EPROTOCOL' }),
    ];
    for (const err of errors) {
      const f = classifySendError(err);
      expect(f.reason).not.toContain(secret);
      expect(f.response ?? '').not.toContain(secret);
      expect(f.reason).toContain('mail.example.com');
    }
  });

  it('keeps the addresses of an SMTP reply', () => {
    expect(safeText('550 5.1.1 <user@example.com>: Recipient address rejected: User unknown')).toBe(
      '550 5.1.1 <user@example.com>: Recipient address rejected: User unknown',
    );
    expect(safeText('553 5.7.1 RCPT TO:<user@example.com> refused')).toBe(
      '553 5.7.1 RCPT TO:<user@example.com> refused',
    );
  });

  it('keeps reasons short and on one line', () => {
    const f = classifySendError(smtpError(`${'x'.repeat(2000)}\r\nsecond line`, { code: 'EPROTOCOL' }));
    expect(f.reason.length).toBeLessThanOrEqual(500);
    expect(f.reason).not.toMatch(/[\r\n]/);
  });
});
