import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FINDING_SEVERITY, type Finding, FindingCollector } from '../../src/core/finding.js';
import {
  FINDING_CATALOGUE,
  FINDING_CODES,
  findingMessage,
  findingsTable,
} from '../../src/core/finding-catalogue.js';
import {
  aRecord,
  aSerial,
  certificateArnOf,
  indexOf,
  OTHER_CA_ARN,
  someRecords,
  toJsonReport,
} from '../builders.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SRC = join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The findings table of the README, between its markers. */
function readmeTable(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /<!-- findings-table:begin -->\n([\s\S]*?)<!-- findings-table:end -->/.exec(readme);
  expect(m, 'README findings-table block').not.toBeNull();
  return m![1]!;
}

describe('the finding catalogue and the README', () => {
  it('the README findings table is the one the catalogue generates (npm run build && node scripts/update-readme.mjs)', () => {
    expect(readmeTable()).toBe(findingsTable());
  });

  it('every code has a severity, a one-line meaning and a message builder', () => {
    for (const code of FINDING_CODES) {
      const e = FINDING_CATALOGUE[code];
      expect(['error', 'warning', 'info'], code).toContain(e.severity);
      expect(e.meaning, code).toMatch(/^\S[^\n|]*$/);
      expect(typeof e.message, code).toBe('function');
      expect(FINDING_SEVERITY[code]).toBe(e.severity);
    }
    expect(Object.keys(FINDING_SEVERITY)).toEqual(FINDING_CODES);
  });
});

/**
 * The contract: the codes the product can emit are exactly the catalogue's (and so the README's).
 * Read from the source: where a finding is made (`code: 'X'`, `offer('X'`, `findingMessage('X'`,
 * an `add('X'` of a collector, or a code chosen by `? 'X' : 'Y'`).
 */
describe('finding codes in the source', () => {
  const files = sourceFiles(SRC).filter((f) => !f.startsWith(join(SRC, 'emulator')));
  const catalogueFile = join(SRC, 'core', 'finding-catalogue.ts');
  const findingFile = join(SRC, 'core', 'finding.ts');
  const CODE = `'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'`;
  const positions = [
    new RegExp(`\\bcode: ${CODE}`, 'g'),
    new RegExp(`\\b(?:offer|add1?|findingMessage|wants|count)\\(\\s*${CODE}`, 'g'),
    new RegExp(`\\bconst code = ${CODE}`, 'g'),
    new RegExp(`\\? ${CODE} : ${CODE}`, 'g'),
  ];
  /** codes made outside the catalogue that are not audit findings */
  const NOT_FINDINGS = new Set([
    // the Security Hub channel's test message (run --test-notify): an ASFF finding, not a pca-audit Finding
    'TEST_NOTIFICATION',
  ]);

  const emitted = new Map<string, string[]>();
  for (const file of files) {
    if (file === catalogueFile || file === findingFile) continue;
    const text = readFileSync(file, 'utf8');
    for (const p of positions) {
      for (const m of text.matchAll(p)) {
        for (const code of m.slice(1)) {
          if (code === undefined) continue;
          emitted.set(code, [...(emitted.get(code) ?? []), relative(ROOT, file)]);
        }
      }
    }
  }

  it('every code the source makes is in the catalogue', () => {
    const unknown = [...emitted.keys()].filter((c) => !(c in FINDING_CATALOGUE) && !NOT_FINDINGS.has(c));
    expect(unknown).toEqual([]);
  });

  it('every code of the catalogue is made somewhere in the source', () => {
    const never = FINDING_CODES.filter((c) => !emitted.has(c));
    expect(never).toEqual([]);
  });

  it('the exceptions are still there (else the list is stale)', () => {
    for (const c of NOT_FINDINGS) expect(emitted.has(c), c).toBe(true);
  });
});

describe('FindingCollector.offer', () => {
  const body = (serial: string) => ({ serial, message: `m ${serial}`, evidence: {} });

  it('builds a finding only while its code is under the limit, and counts every one', () => {
    const c = new FindingCollector(2);
    let built = 0;
    for (let k = 0; k < 5; k++) {
      c.offer('LATE_ISSUANCE', () => {
        built++;
        return body(String(k));
      });
    }
    expect(built).toBe(2);
    expect(c.findings.map((f) => f.serial)).toEqual(['0', '1']);
    expect(c.counts.get('LATE_ISSUANCE')).toBe(5);
    expect(c.omitted()).toEqual({ LATE_ISSUANCE: 3 });
  });

  it("gives the catalogue's severity unless the builder gives one, and the fields in a stable order", () => {
    const c = new FindingCollector(10);
    c.offer('EVENT_WITHOUT_REVOCATION', () => body('01'));
    c.offer('EVENT_WITHOUT_REVOCATION', () => ({ severity: 'warning', ...body('02') }));
    expect(c.findings).toEqual<Finding[]>([
      { code: 'EVENT_WITHOUT_REVOCATION', severity: 'error', serial: '01', message: 'm 01', evidence: {} },
      { code: 'EVENT_WITHOUT_REVOCATION', severity: 'warning', serial: '02', message: 'm 02', evidence: {} },
    ]);
    expect(Object.keys(c.findings[1]!)).toEqual(['code', 'severity', 'serial', 'message', 'evidence']);
    expect(c.severityCounts()).toEqual({ error: 1, warning: 1, info: 0 });
  });

  it('a code over the limit still counts by its catalogue severity', () => {
    const c = new FindingCollector(0);
    c.offer('REVOKE_ATTEMPT_FAILED', () => body('01'));
    c.offer('CRL_STALE', () => body('02'));
    expect(c.findings).toEqual([]);
    expect(c.severityCounts()).toEqual({ error: 1, warning: 0, info: 1 });
  });
});

describe('message builders', () => {
  it('the variants of one code', () => {
    expect(findingMessage('CRL_UNKNOWN_ENTRY', { revokedAt: 'T', inReport: false })).toBe(
      'on the CRL (revoked at T), but not in the new report',
    );
    expect(findingMessage('CRL_UNKNOWN_ENTRY', { revokedAt: 'T', inReport: true })).toBe(
      'on the CRL (revoked at T), but not revoked in the new report',
    );
    expect(findingMessage('OCSP_UNREACHABLE', { notChecked: 'AWS x failed' })).toBe(
      'OCSP not checked: AWS x failed',
    );
    expect(findingMessage('OCSP_UNREACHABLE', { cause: 'timeout', detail: 'd' })).toBe(
      'no usable OCSP answer (timeout): d',
    );
    expect(findingMessage('HISTORY_TAMPERED', { checkpointMissing: 'runs/x' })).toBe(
      'the checkpoint is missing, though the CA has history (runs/x): deleted?',
    );
    expect(findingMessage('HISTORY_TAMPERED', { problem: 'the kept report r.json is missing' })).toBe(
      'the kept report r.json is missing',
    );
    expect(findingMessage('REVOCATION_TIME_MISMATCH', { at: 'A', revokedAt: 'B', apart: '8 min' })).toBe(
      'RevokeCertificate called at A, the new report says revoked at B (8 min apart)',
    );
    expect(
      findingMessage('REVOCATION_TIME_MISMATCH', {
        pcaEvent: 'Certificate Revocation',
        at: 'A',
        revokedAt: 'B',
        apart: '1h',
      }),
    ).toBe('Certificate Revocation event at A, the new report says revoked at B (1h apart)');
  });

  it('INVALID_RECORD clips a long value in the message', () => {
    const m = findingMessage('INVALID_RECORD', {
      line: 3,
      field: 'subject',
      value: 'x'.repeat(300),
      what: 'bad',
    });
    expect(m).toBe(`line 3, field subject: "${'x'.repeat(200)}…" bad`);
  });

  it('the single-report findings of the index are worded by the catalogue', async () => {
    const records = someRecords(8);
    records[1] = aRecord({ serial: aSerial(1), certificateArn: certificateArnOf(aSerial(99)) });
    records[2] = aRecord({ serial: aSerial(2), certificateArn: certificateArnOf(aSerial(2), OTHER_CA_ARN) });
    records[3] = aRecord({
      serial: aSerial(3),
      notBefore: '2027-01-01T00:00:00Z',
      notAfter: '2026-01-01T00:00:00Z',
    });
    records[4] = aRecord({
      serial: aSerial(4),
      revokedAt: '2026-05-01T00:00:00Z',
      revocationReason: undefined,
    });
    records[5] = aRecord({ serial: aSerial(5), revokedAt: undefined, revocationReason: 'KEY_COMPROMISE' });
    records[6] = aRecord({ serial: aSerial(0) });
    records[7] = aRecord({ serial: aSerial(7), notAfter: 'not-a-time' });
    const index = await indexOf(toJsonReport(records));
    const hex = (serial: string) => serial.replaceAll(':', '');
    const caOf = (arn: string) => arn.slice(0, arn.lastIndexOf('/certificate/'));
    expect(index.findings.map((f) => [f.code, f.serial, f.message])).toEqual([
      [
        'SERIAL_ARN_MISMATCH',
        aSerial(1),
        `certificateArn ends in ${hex(aSerial(99))}, not the serial ${aSerial(1)}`,
      ],
      [
        'VALIDITY_INVERTED',
        aSerial(3),
        'notBefore 2027-01-01T00:00:00Z is after notAfter 2026-01-01T00:00:00Z',
      ],
      ['REVOCATION_INCOMPLETE', aSerial(4), 'revoked at 2026-05-01T00:00:00Z without a revocationReason'],
      ['REVOCATION_INCOMPLETE', aSerial(5), 'revocationReason KEY_COMPROMISE without a revokedAt'],
      ['DUPLICATE_SERIAL', aSerial(0), `serial ${aSerial(0)} appears again on line 8 (first on line 2)`],
      [
        'INVALID_RECORD',
        aSerial(7),
        'line 9, field notAfter: "not-a-time" is not a timestamp like 2018-02-26T18:39:57+0000',
      ],
      [
        'FOREIGN_CA',
        aSerial(2),
        `certificateArn names ${OTHER_CA_ARN}, not ${caOf(String(records[0]!.certificateArn))}`,
      ],
    ]);
  });
});
