/**
 * An independent OCSP responder for tests: openssl 3.0 answers each request (`openssl ocsp -index
 * … -reqin … -respout …`), behind a small HTTP server on 127.0.0.1. openssl's own `-port` binds
 * every interface, so it only ever sees files here.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface OpensslCa {
  dir: string;
  cert: string;
  key: string;
  /** a certificate of this CA; its serial as lowercase hex */
  issue(name: string, serialHex: string, extensions?: string): { cert: string; key: string };
}

/** A CA made by openssl in `dir` (RSA 2048, self-signed). */
export function opensslCa(dir: string, name: string, subject = `/CN=${name}/O=Example Corp/C=IE`): OpensslCa {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      subject,
      '-days',
      '3650',
    ],
    { stdio: 'ignore' },
  );
  return {
    dir,
    cert,
    key,
    issue(leaf, serialHex, extensions) {
      const leafKey = join(dir, `${leaf}.key`);
      const csr = join(dir, `${leaf}.csr`);
      const leafCert = join(dir, `${leaf}.pem`);
      execFileSync(
        'openssl',
        [
          'req',
          '-new',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          leafKey,
          '-out',
          csr,
          '-subj',
          `/CN=${leaf}`,
        ],
        { stdio: 'ignore' },
      );
      const args = [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        cert,
        '-CAkey',
        key,
        '-set_serial',
        `0x${serialHex}`,
        '-days',
        '365',
        '-out',
        leafCert,
      ];
      if (extensions) {
        const ext = join(dir, `${leaf}.ext`);
        writeFileSync(ext, `${extensions}\n`);
        args.push('-extfile', ext);
      }
      execFileSync('openssl', args, { stdio: 'ignore' });
      return { cert: leafCert, key: leafKey };
    },
  };
}

/** One line of openssl's index.txt. `revoked`: [when, openssl's reason name]. */
export function indexLine(serialHex: string, revoked?: [Date, string]): string {
  const t = (d: Date) => `${d.toISOString().slice(2, 19).replace(/[-:T]/g, '')}Z`;
  const expiry = t(new Date(Date.now() + 365 * 86400_000));
  const serial = serialHex.toUpperCase();
  return revoked
    ? `R\t${expiry}\t${t(revoked[0])},${revoked[1]}\t${serial}\tunknown\t/CN=x`
    : `V\t${expiry}\t\t${serial}\tunknown\t/CN=x`;
}

export interface OcspResponder {
  url: string;
  requests: number;
  close(): Promise<void>;
}

/**
 * Serves openssl's answers: `-index` the file, `-CA` the CA, signed with `signer` (the CA itself,
 * a delegated responder, or anyone). `fail` makes it answer that HTTP status instead.
 */
export async function startOcspResponder(options: {
  index: string;
  ca: string;
  signer: { cert: string; key: string };
  fail?: number;
}): Promise<OcspResponder> {
  const work = mkdtempSync(join(tmpdir(), 'pca-audit-ocsp-responder-'));
  let n = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      state.requests++;
      if (options.fail) {
        res.writeHead(options.fail).end();
        return;
      }
      const id = n++;
      const reqin = join(work, `${id}.req`);
      const respout = join(work, `${id}.resp`);
      writeFileSync(reqin, Buffer.concat(chunks));
      try {
        await run('openssl', [
          'ocsp',
          '-index',
          options.index,
          '-CA',
          options.ca,
          '-rsigner',
          options.signer.cert,
          '-rkey',
          options.signer.key,
          '-reqin',
          reqin,
          '-respout',
          respout,
          '-ndays',
          '1',
        ]);
        res.writeHead(200, { 'content-type': 'application/ocsp-response' }).end(readFileSync(respout));
      } catch (err) {
        res.writeHead(500).end(String(err));
      } finally {
        rmSync(reqin, { force: true });
        rmSync(respout, { force: true });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const state: OcspResponder = {
    url: `http://127.0.0.1:${port}`,
    requests: 0,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(work, { recursive: true, force: true });
    },
  };
  return state;
}

/** A loopback port nobody listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
