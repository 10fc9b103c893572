import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSelfSignedCertificate } from '../../src/harness/emulator/certificate';

describe('the emulator certificate', () => {
  it('is valid DER for every random serial (a serial starting 0x00 once made 1 in 256 starts fail)', () => {
    for (let i = 0; i < 600; i++) {
      const { certificatePem } = createSelfSignedCertificate(Date.now());
      const certificate = new X509Certificate(certificatePem);
      expect(certificate.serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/);
    }
  });

  it('names localhost and the loopback addresses, and is a CA its clients can trust', () => {
    const certificate = new X509Certificate(createSelfSignedCertificate(Date.now()).certificatePem);
    expect(certificate.subjectAltName).toContain('DNS:localhost');
    expect(certificate.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(certificate.ca).toBe(true);
    expect(certificate.checkHost('localhost')).toBe('localhost');
  });
});
