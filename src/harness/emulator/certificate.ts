/**
 * A self-signed TLS certificate for the emulator's HTTPS listener, made at runtime.
 *
 * Why: the Azure SDK's bearer-token policy (@azure/core-rest-pipeline) refuses to send a token to
 * any non-https URL, and `allowInsecureConnection` does not lift that check. So the real SDK
 * clients can only talk to the emulator over TLS. Node can make key pairs and signatures
 * (node:crypto) but not X.509 certificates, and no small maintained library is installed here, so
 * this file DER-encodes the few ASN.1 structures a certificate needs (RFC 5280) by hand and signs
 * them with ECDSA P-256 / SHA-256. Clients trust it by passing `tlsOptions: { ca: certificatePem }`.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';

export interface SelfSignedCertificate {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}
const seq = (...parts: Buffer[]): Buffer => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]): Buffer => tlv(0x31, Buffer.concat(parts));
function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes: number[] = [40 * (parts[0] ?? 0) + (parts[1] ?? 0)];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f];
    for (let v = part >>> 7; v > 0; v >>>= 7) chunk.unshift(0x80 | (v & 0x7f));
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}
function integer(bytes: Buffer): Buffer {
  const positive = (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
  return tlv(0x02, positive);
}
const utf8 = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'));
function generalizedTime(ms: number): Buffer {
  const iso = new Date(ms).toISOString(); // 2026-11-23T06:00:00.000Z
  return tlv(
    0x18,
    Buffer.from(`${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`),
  );
}
const explicit = (n: number, content: Buffer): Buffer => tlv(0xa0 + n, content);

/**
 * Makes a certificate for `localhost` and 127.0.0.1 / ::1, valid from `notBeforeMs` for
 * `validDays`. The validity uses the real time of the machine (TLS checks it against the real
 * clock, not the emulator's virtual one), so the caller passes wall time.
 */
export function createSelfSignedCertificate(notBeforeMs: number, validDays = 30): SelfSignedCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const name = seq(set(seq(oid('2.5.4.3'), utf8('aml-rollout emulator'))));
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
  // A random serial: browsers and OpenSSL reject two different certificates with one issuer+serial.
  const serial = randomBytes(16);
  // DER wants the shortest INTEGER: a positive serial whose first byte is neither 0x00 (padding)
  // nor >= 0x80 (negative), so the first byte is kept in 0x40..0x7f.
  serial[0] = ((serial[0] ?? 0) & 0x3f) | 0x40;
  const altNames = seq(
    tlv(0x82, Buffer.from('localhost')),
    tlv(0x87, Buffer.from([127, 0, 0, 1])),
    tlv(0x87, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
  );
  const extensions = explicit(
    3,
    seq(
      // basicConstraints CA:TRUE (critical), so the same certificate can be the client's trust anchor.
      seq(oid('2.5.29.19'), tlv(0x01, Buffer.from([0xff])), tlv(0x04, seq(tlv(0x01, Buffer.from([0xff]))))),
      seq(oid('2.5.29.17'), tlv(0x04, altNames)),
    ),
  );
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    ecdsaWithSha256,
    name,
    seq(generalizedTime(notBeforeMs - 60 * 60_000), generalizedTime(notBeforeMs + validDays * 86_400_000)),
    name,
    spki,
    extensions,
  );
  const signature = sign('sha256', tbs, privateKey); // DER-encoded ECDSA signature
  const der = seq(tbs, ecdsaWithSha256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const certificatePem = `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;
  // Self-check: Node parses it and its key matches, or we fail loudly here rather than in a TLS handshake.
  const parsed = new X509Certificate(certificatePem);
  if (!parsed.checkPrivateKey(createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' })))) {
    throw new Error('emulator certificate: generated certificate does not match its key');
  }
  return { certificatePem, privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}
