/**
 * A throw-away self-signed certificate for 127.0.0.1, made with node:crypto at test time (TEST ONLY:
 * no key is kept in the repository). The certificate is its own CA, so a client given it as its CA
 * file can check the test server's certificate.
 */
import crypto from 'node:crypto';

/** A PEM private key and its self-signed PEM certificate. */
export interface TestCertificate {
  key: string;
  cert: string;
}

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** A DER tag-length-value. */
function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const sequence = (...content: Buffer[]): Buffer => tlv(0x30, ...content);
const set = (...content: Buffer[]): Buffer => tlv(0x31, ...content);
const octets = (content: Buffer): Buffer => tlv(0x04, content);
const TRUE = tlv(0x01, Buffer.from([0xff]));

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * a! + b!];
  for (const part of rest) {
    const encoded = [part & 0x7f];
    for (let v = part >>> 7; v > 0; v >>>= 7) encoded.unshift((v & 0x7f) | 0x80);
    bytes.push(...encoded);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** A non-negative INTEGER from big-endian bytes. */
function integer(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) b = b.subarray(1);
  return tlv(0x02, (b[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 4.1.2.5). */
function time(at: Date): Buffer {
  const iso = at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return at.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

/** Makes a P-256 key and a self-signed certificate naming 127.0.0.1 (and localhost), valid from yesterday for `days`. */
export function selfSignedCertificate(
  commonName = 'usage-charges test SMTP server (test only)',
  days = 2,
): TestCertificate {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const name = sequence(set(sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName, 'utf8')))));
  const serial = crypto.randomBytes(16);
  serial[0]! &= 0x7f;
  const notBefore = new Date(Date.now() - 86_400_000);
  const notAfter = new Date(Date.now() + days * 86_400_000);
  const extensions = sequence(
    // basicConstraints: CA (critical), so that the certificate can be its own trust anchor.
    sequence(oid('2.5.29.19'), TRUE, octets(sequence(TRUE))),
    // subjectAltName: IP 127.0.0.1 and DNS localhost.
    sequence(
      oid('2.5.29.17'),
      octets(sequence(tlv(0x87, Buffer.from([127, 0, 0, 1])), tlv(0x82, Buffer.from('localhost')))),
    ),
  );
  const tbs = sequence(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    sequence(oid(ECDSA_WITH_SHA256)),
    name,
    sequence(time(notBefore), time(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, extensions),
  );
  const signature = crypto.sign('sha256', tbs, privateKey);
  const der = sequence(tbs, sequence(oid(ECDSA_WITH_SHA256)), tlv(0x03, Buffer.from([0]), signature));
  const base64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  const cert = `-----BEGIN CERTIFICATE-----\n${base64}-----END CERTIFICATE-----\n`;
  // A certificate that does not parse, or is not signed by its own key, is a bug here, not in the test.
  const x509 = new crypto.X509Certificate(cert);
  if (!x509.verify(publicKey) || x509.checkIP('127.0.0.1') === undefined)
    throw new Error('the test certificate does not check out');
  return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, cert };
}
