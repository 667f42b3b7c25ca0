/** Reads a CRL file (DER or PEM, gzip told by its magic bytes, `-` for stdin), and the CA certificate. */
import type { X509Certificate } from '@peculiar/x509';
import { type CrlDocument, CrlError, crlDer, decodeCrl } from '../core/reconcile/crl.js';
import { CaCertificateError, parseCaCertificate } from '../core/reconcile/crl-verify.js';
import { type InputContext, openInput } from './inputs.js';
import { InputError, readChunks } from './report-source.js';

const KIND = 'CRL';
/** CRLs of tens of millions of entries are beyond what a CA publishes; refuse rather than exhaust memory */
const MAX_CRL_BYTES = 1 << 30;

export async function readCrl(name: string, inputs: InputContext): Promise<CrlDocument> {
  const bytes = await readAll(name, inputs, KIND);
  try {
    return crlFromBytes(bytes);
  } catch (err) {
    if (err instanceof CrlError) throw new InputError(name, err.message, { cause: err, kind: KIND });
    throw err;
  }
}

/** A CRL's bytes (DER or PEM) read; throws a CrlError. */
export function crlFromBytes(bytes: Uint8Array): CrlDocument {
  return decodeCrl(crlDer(bytes, (b64) => Buffer.from(b64, 'base64')));
}

const CERT_KIND = 'CA certificate';

/** `--ca-certificate FILE`: PEM or DER. */
export async function readCaCertificate(name: string, inputs: InputContext): Promise<X509Certificate> {
  const bytes = await readAll(name, inputs, CERT_KIND);
  try {
    return caCertificateFromBytes(bytes);
  } catch (err) {
    if (err instanceof CaCertificateError) {
      throw new InputError(name, err.message, { cause: err, kind: CERT_KIND });
    }
    throw err;
  }
}

export function caCertificateFromBytes(bytes: Uint8Array): X509Certificate {
  return parseCaCertificate(bytes, (b64) => Buffer.from(b64, 'base64'));
}

async function readAll(name: string, inputs: InputContext, kind: string): Promise<Uint8Array> {
  const file = await openInput(name, inputs, kind).catch((err) => {
    throw err instanceof InputError ? new InputError(err.input, err.message, { cause: err, kind }) : err;
  });
  try {
    const parts: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of readChunks(file)) {
        size += chunk.length;
        if (size > MAX_CRL_BYTES) throw new InputError(name, `larger than 1 GiB: not a ${kind}`, { kind });
        parts.push(Uint8Array.prototype.slice.call(chunk));
      }
    } catch (err) {
      throw err instanceof InputError ? new InputError(err.input, err.message, { cause: err, kind }) : err;
    }
    const bytes = Buffer.concat(parts);
    if (bytes.length === 0) throw new InputError(name, 'empty file', { kind });
    return bytes;
  } finally {
    await file.dispose();
  }
}
