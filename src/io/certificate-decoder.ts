/**
 * Reads a certificate handed over as text (an ACME RevokeCertificate logs it as base64 or base64url
 * DER, maybe PEM) for its serial and issuer, with @peculiar/x509. Loaded only when an event needs it.
 */
import type { CertificateDecoder } from '../core/reconcile/cloudtrail/event.js';
import { parseSerial } from '../core/report/serial.js';

export async function loadCertificateDecoder(): Promise<CertificateDecoder> {
  await import('reflect-metadata');
  const { X509Certificate } = await import('@peculiar/x509');
  return (text) => {
    const body = text
      .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
      .replace(/\s+/g, '')
      .replace(/-/g, '+')
      .replace(/_/g, '/');
    if (body.length === 0) return { ok: false, reason: 'empty' };
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 === 1) {
      return { ok: false, reason: 'not base64 or base64url' };
    }
    const der = Buffer.from(body, 'base64');
    try {
      const cert = new X509Certificate(der);
      const serial = parseSerial(cert.serialNumber);
      if (!serial.ok) return { ok: false, reason: `its serial cannot be read: ${serial.reason}` };
      return { ok: true, serial: serial.hex, issuer: cert.issuer };
    } catch (err) {
      return { ok: false, reason: `not a DER certificate (${(err as Error).message})` };
    }
  };
}
