/** Reads a CRL file (DER or PEM, gzip told by its magic bytes, `-` for stdin). */
import { type Crl, CrlError, crlDer, parseCrl } from '../core/crl.js';
import { type InputContext, openInput } from './inputs.js';
import { InputError, readChunks } from './report-source.js';

const KIND = 'CRL';
/** CRLs of tens of millions of entries are beyond what a CA publishes; refuse rather than exhaust memory */
const MAX_CRL_BYTES = 1 << 30;

export async function readCrl(name: string, inputs: InputContext): Promise<Crl> {
  const file = await openInput(name, inputs, KIND).catch((err) => {
    throw err instanceof InputError
      ? new InputError(err.input, err.message, { cause: err, kind: KIND })
      : err;
  });
  try {
    const parts: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of readChunks(file)) {
        size += chunk.length;
        if (size > MAX_CRL_BYTES) throw new InputError(name, 'larger than 1 GiB: not a CRL', { kind: KIND });
        parts.push(Uint8Array.prototype.slice.call(chunk));
      }
    } catch (err) {
      throw err instanceof InputError
        ? new InputError(err.input, err.message, { cause: err, kind: KIND })
        : err;
    }
    const bytes = Buffer.concat(parts);
    if (bytes.length === 0) throw new InputError(name, 'empty file', { kind: KIND });
    try {
      return parseCrl(crlDer(bytes, (b64) => Buffer.from(b64, 'base64')));
    } catch (err) {
      if (err instanceof CrlError) throw new InputError(name, err.message, { cause: err, kind: KIND });
      throw err;
    }
  } finally {
    await file.dispose();
  }
}
