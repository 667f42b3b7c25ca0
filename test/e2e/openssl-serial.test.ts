import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSerial } from '../../src/core/report/serial.js';
import { runCli, runCommand, SAMPLE_CA } from './cli.js';

/**
 * Serials as the real tools print them. Certificates are made by the real `openssl` with chosen
 * serials; every way of writing a serial (openssl -serial, openssl -text, node's X509Certificate,
 * the DER INTEGER with its sign octet, the AWS report's colon form, the ARN's suffix) must normalise
 * to the one value design.md defines: lowercase hex of the magnitude, no leading zero octets.
 * openssl is required: this test fails, never skips, without it.
 */

interface Case {
  name: string;
  /** as given to -set_serial */
  setSerial: string;
  /** the canonical form, written out by hand */
  canonical: string;
  /** octets of the DER INTEGER's content */
  derLength: number;
}

const CASES: Case[] = [
  {
    name: 'high bit set (a 00 sign octet in DER)',
    setSerial: '0x8c958e28c954a228286480318e8e34a7',
    canonical: '8c958e28c954a228286480318e8e34a7',
    derLength: 17,
  },
  {
    name: 'leading zero octet in its 16-octet form (15-octet magnitude, high bit set)',
    setSerial: '0x00a506cf87cdfeaf3dc123ed9a914577',
    canonical: 'a506cf87cdfeaf3dc123ed9a914577',
    derLength: 16,
  },
  { name: 'short (0x01)', setSerial: '0x01', canonical: '01', derLength: 1 },
  {
    name: '20 octets (the RFC 5280 maximum)',
    setSerial: '0x4b1f0c2e9a7d3b5c6e8f0a1b2c3d4e5f60718293',
    canonical: '4b1f0c2e9a7d3b5c6e8f0a1b2c3d4e5f60718293',
    derLength: 20,
  },
];

/** How AWS writes a serial in a report: lowercase octets of the magnitude, colon-separated. */
function awsForm(canonical: string): string {
  return canonical.match(/../g)!.join(':');
}

/** The content octets of the serialNumber INTEGER of a DER certificate (sign octet included). */
function derSerialOctets(der: Buffer): Buffer {
  let p = 0;
  const header = (expectTag: number): { start: number; end: number } => {
    const tag = der[p++]!;
    if (tag !== expectTag)
      throw new Error(`DER: expected tag 0x${expectTag.toString(16)}, got 0x${tag.toString(16)}`);
    let len = der[p++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + der[p++]!;
    }
    return { start: p, end: p + len };
  };
  header(0x30); // Certificate
  header(0x30); // TBSCertificate
  if (der[p] === 0xa0) p = header(0xa0).end; // [0] EXPLICIT version
  const serial = header(0x02);
  return der.subarray(serial.start, serial.end);
}

interface Forms {
  /** `openssl x509 -serial -noout`: uppercase hex, no colons */
  opensslSerial: string;
  /** `openssl x509 -text`: colon form on the next line, or `1 (0x1)` for a serial that fits a long */
  opensslText: string;
  /** node's X509Certificate#serialNumber */
  node: string;
  /** the DER INTEGER's content octets in colon form: `00:8c:...` when the high bit is set */
  derColon: string;
  derHexUpper: string;
  notBefore: string;
  notAfter: string;
}

async function openssl(args: string[], cwd: string): Promise<string> {
  const r = await runCommand('openssl', args, { cwd });
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** `2026-11-21T09:20:00+0000`, as reports write instants. */
function reportInstant(date: string): string {
  return new Date(date).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

describe('serials: openssl, node and AWS forms normalise to one value', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pca-audit-e2e-openssl-'));
  const forms = new Map<string, Forms>();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    const version = await runCommand('openssl', ['version'], { cwd: dir }).catch((e: Error) => {
      throw new Error(`openssl is required by this test and was not found on PATH (${e.message})`);
    });
    if (version.code !== 0) throw new Error(`openssl version failed: ${version.stderr}`);
    await openssl(
      ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'key.pem'],
      dir,
    );
    await Promise.all(
      CASES.map(async (c, i) => {
        const pem = `cert-${i}.pem`;
        await openssl(
          [
            'req',
            '-x509',
            '-key',
            'key.pem',
            '-subj',
            `/CN=serial-test-${i}`,
            '-days',
            '30',
            '-set_serial',
            c.setSerial,
            '-out',
            pem,
          ],
          dir,
        );
        const [serialOut, textOut] = await Promise.all([
          openssl(['x509', '-in', pem, '-serial', '-noout'], dir),
          openssl(['x509', '-in', pem, '-text', '-noout'], dir),
        ]);
        const cert = new X509Certificate(readFileSync(join(dir, pem)));
        const der = derSerialOctets(cert.raw);
        const text = /Serial Number:[ \t]*([^\n]*)\n([^\n]*)/.exec(textOut);
        if (!text) throw new Error(`no Serial Number in openssl -text output:\n${textOut}`);
        forms.set(c.name, {
          opensslSerial: /^serial=([0-9A-F]+)$/m.exec(serialOut)![1]!,
          opensslText: text[1]!.trim() === '' ? text[2]!.trim() : text[1]!.trim(),
          node: cert.serialNumber,
          derColon: [...der].map((b) => b.toString(16).padStart(2, '0')).join(':'),
          derHexUpper: der.toString('hex').toUpperCase(),
          notBefore: reportInstant(cert.validFrom),
          notAfter: reportInstant(cert.validTo),
        });
      }),
    );
  });

  it.each(CASES)('$name: every form parses to $canonical', (c) => {
    const f = forms.get(c.name)!;
    // what the tools print, as far as this test depends on it
    expect(f.opensslSerial).toMatch(/^[0-9A-F]+$/);
    expect(f.node).toMatch(/^[0-9A-F]+$/);
    expect(f.derColon.split(':')).toHaveLength(c.derLength);
    expect(f.derColon.startsWith('00:')).toBe(Number.parseInt(c.canonical.slice(0, 2), 16) >= 0x80);
    // `openssl x509 -text` writes a serial that fits a long as `1 (0x1)`, its hex in the brackets;
    // a longer one in colon form on the next line: OpenSSL 3 without a sign octet, older versions
    // with `00:` before a high bit (the DER forms below carry that octet whatever the version)
    if (c.derLength > 8) expect(f.opensslText).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2})+$/);
    else expect(f.opensslText).toMatch(/^\d+ \(0x[0-9a-f]+\)$/);
    const textHex = /^\d+ \(0x([0-9a-f]+)\)$/.exec(f.opensslText)?.[1] ?? f.opensslText;
    const written = {
      'openssl -serial': f.opensslSerial,
      'openssl -text': textHex,
      'node X509Certificate': f.node,
      'DER with sign octet, colons': f.derColon,
      'DER with sign octet, uppercase': f.derHexUpper,
      'AWS report colon form': awsForm(c.canonical),
      'AWS colon form, uppercase': awsForm(c.canonical).toUpperCase(),
      'ARN suffix': c.canonical,
      'padded with spaces': `  ${awsForm(c.canonical)}\t`,
    };
    const parsed = Object.fromEntries(Object.entries(written).map(([k, v]) => [k, parseSerial(v)]));
    const want = Object.fromEntries(Object.keys(written).map((k) => [k, { ok: true, hex: c.canonical }]));
    expect(parsed).toEqual(want);
  });

  it('a `00:` sign octet written before the AWS colon form is the same serial', () => {
    // older openssl and many CRL dumps print the sign octet; reports never do
    const aws = awsForm('8c958e28c954a228286480318e8e34a7');
    expect(parseSerial(`00:${aws}`)).toEqual(parseSerial(aws));
    expect(parseSerial(`00${aws.replaceAll(':', '').toUpperCase()}`)).toEqual(parseSerial(aws));
  });

  it('inspect: the same certificate written as openssl prints it and as AWS writes it is a DUPLICATE_SERIAL', async () => {
    const rows: Array<Record<string, string>> = [];
    const row = (c: Case, i: number, serial: string) => {
      const f = forms.get(c.name)!;
      rows.push({
        awsAccountId: '111122223333',
        certificateArn: `${SAMPLE_CA}/certificate/${c.canonical}`,
        serial,
        subject: `CN=serial-test-${i}`,
        notBefore: f.notBefore,
        notAfter: f.notAfter,
        issuedAt: f.notBefore,
        templateArn: 'arn:aws:acm-pca:::template/EndEntityCertificate/V1',
      });
    };
    for (const [i, c] of CASES.entries()) row(c, i, awsForm(c.canonical));
    for (const [i, c] of CASES.entries()) row(c, i, forms.get(c.name)!.opensslSerial);
    row(CASES[0]!, 0, forms.get(CASES[0]!.name)!.derColon); // with the sign octet: a third time
    const file = join(dir, 'openssl-vs-aws.json');
    writeFileSync(file, `[\n${rows.map((r) => JSON.stringify(r)).join(',\n')}\n]\n`);

    const at = forms.get(CASES[0]!.name)!.notBefore.replace('+0000', 'Z');
    const r = await runCli(['inspect', file, '--at', at, '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      summary: { certificates: number };
      findings: Array<{ code: string; serial: string; evidence: Record<string, { line: number }> }>;
    };
    expect(out.summary.certificates).toBe(9);
    // the rows are on lines 2..10: each openssl-form row repeats the AWS-form row four lines up,
    // and the DER form on line 10 repeats the first row once more; nothing else is wrong
    const found = out.findings.map((f) => [f.code, f.serial, f.evidence.first!.line, f.evidence.again!.line]);
    const byLine = (a: unknown[], b: unknown[]) => Number(a[3]) - Number(b[3]);
    expect(found.sort(byLine)).toEqual([
      ['DUPLICATE_SERIAL', awsForm(CASES[0]!.canonical), 2, 6],
      ['DUPLICATE_SERIAL', awsForm(CASES[1]!.canonical), 3, 7],
      ['DUPLICATE_SERIAL', awsForm(CASES[2]!.canonical), 4, 8],
      ['DUPLICATE_SERIAL', awsForm(CASES[3]!.canonical), 5, 9],
      ['DUPLICATE_SERIAL', awsForm(CASES[0]!.canonical), 2, 10],
    ]);
  });
});
