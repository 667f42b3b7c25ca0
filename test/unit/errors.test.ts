/**
 * Issue 17 item 3: one error base class and one error → exit code mapping (and one text), for the
 * CLI and for `run`. The codes are the README's contract ("Exit codes"); each class keeps the code
 * the CLI gave it before the mapping was one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BucketSetupError } from '../../src/aws/bucket-setup.js';
import { AwsError, LocalWriteError, ReportFailedError, RetryLaterError } from '../../src/aws/errors.js';
import { PolicyTextError } from '../../src/core/bucket/policy-merge.js';
import {
  describeError,
  EXIT_CODE_OF_KIND,
  EXIT_FINDINGS,
  EXIT_INTERNAL,
  EXIT_OK,
  exitCodeOf,
  hintOf,
  PcaAuditError,
  UsageError,
} from '../../src/core/errors.js';
import { formatInstant } from '../../src/core/instant.js';
import { JsonSplitError } from '../../src/core/reconcile/cloudtrail/json-splitter.js';
import { CrlError } from '../../src/core/reconcile/crl.js';
import { CaCertificateError } from '../../src/core/reconcile/crl-verify.js';
import { ReportSyntaxError } from '../../src/core/report/report-syntax-error.js';
import { FileError, TargetExistsError } from '../../src/fs/atomic-file.js';
import { InputError } from '../../src/io/report-source.js';
import { systemReason } from '../../src/io/system-error.js';
import { StateError } from '../../src/store/fs-store.js';

const RETRY_AT = 1_795_000_000;

/** every error class pca-audit shows its user, the exit code it ends a command with, and its text */
const CASES: [string, unknown, number, string][] = [
  [
    'UsageError',
    new UsageError('--fail-on: "x" is not a level', 'use info, warning or error'),
    2,
    '--fail-on: "x" is not a level',
  ],
  [
    'BucketSetupError',
    new BucketSetupError('bucket b is in us-east-1', 'use a bucket of eu-west-1'),
    2,
    'bucket b is in us-east-1',
  ],
  [
    'PolicyTextError',
    new PolicyTextError('the bucket policy is not a JSON object', 'fix it'),
    2,
    'the bucket policy is not a JSON object',
  ],
  ['InputError', new InputError('b.csv', 'no such file'), 2, 'reading report "b.csv": no such file'],
  [
    'InputError (CRL)',
    new InputError('ca.crl', 'byte 3: bad', { kind: 'CRL' }),
    2,
    'reading CRL "ca.crl": byte 3: bad',
  ],
  [
    'ReportSyntaxError',
    new ReportSyntaxError('unterminated string', 12, 3456),
    2,
    'reading report: line 12, byte 3456: unterminated string',
  ],
  [
    'JsonSplitError',
    new JsonSplitError('unbalanced', 2, 9),
    2,
    'reading CloudTrail source: line 2, byte 9: unbalanced',
  ],
  ['CrlError', new CrlError('bad tag', 7), 2, 'reading CRL: byte 7: bad tag'],
  [
    'CaCertificateError',
    new CaCertificateError('not a certificate'),
    2,
    'reading CA certificate: not a certificate',
  ],
  [
    'StateError',
    new StateError('/var/state', 'cannot read: permission denied (EACCES)'),
    2,
    'state "/var/state": cannot read: permission denied (EACCES)',
  ],
  [
    'LocalWriteError',
    new LocalWriteError('/tmp/r.json', 'read back differs'),
    2,
    'writing "/tmp/r.json": read back differs',
  ],
  [
    'FileError',
    new FileError('ENOSPC', '-', 'write', 'ENOSPC: no space left on device'),
    2,
    'writing stdout: no space left on device (ENOSPC)',
  ],
  ['TargetExistsError', new TargetExistsError('/tmp/out'), 2, '"/tmp/out" exists'],
  [
    'AwsError',
    new AwsError('GetObject', 'NoSuchBucket', 'The bucket does not exist', 'req-1'),
    3,
    'AWS GetObject failed: NoSuchBucket: The bucket does not exist (request id req-1)',
  ],
  [
    'ReportFailedError',
    new ReportFailedError('r-1', 'FAILED', ['no grant']),
    3,
    'AWS CreateCertificateAuthorityAuditReport failed: ReportFailed: report r-1 ended FAILED: no grant',
  ],
  [
    'RetryLaterError',
    new RetryLaterError('pca-audit', 'ReportIntervalNotElapsed', 'a CSV report is 5 minutes old', RETRY_AT),
    5,
    `not now: refused by pca-audit, before asking AWS for a report: a CSV report is 5 minutes old; retry after ${formatInstant(RETRY_AT)}`,
  ],
  [
    'a file system error of Node.js',
    Object.assign(new Error("EACCES: permission denied, open '/etc/x'"), {
      code: 'EACCES',
      path: '/etc/x',
      syscall: 'open',
    }),
    2,
    'opening "/etc/x": permission denied (EACCES)',
  ],
  ['a bug', new TypeError('x is undefined'), 4, 'internal error: x is undefined'],
  ['not an Error', 'boom', 4, 'internal error: boom'],
];

describe('one exit-code mapping and one text for every error (issue 17 item 3)', () => {
  it.each(CASES)('%s: exit %i', (_name, err, code, text) => {
    expect(exitCodeOf(err)).toBe(code);
    expect(describeError(err, { systemReason })).toBe(text);
  });

  it('every error class pca-audit shows its user extends PcaAuditError', () => {
    for (const [name, err] of CASES.slice(0, -3)) expect(err, name).toBeInstanceOf(PcaAuditError);
  });

  it('no error class in src extends Error directly, but the emulator and internal control flow', () => {
    const SRC = fileURLToPath(new URL('../../src', import.meta.url));
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
      );
    const direct = files(SRC)
      .filter((f) => !relative(SRC, f).startsWith('emulator'))
      .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/class (\w+) extends Error\b/g)].map((m) => m[1]));
    // NotCloudTrail never leaves event-source.ts: it says "try the other reader"
    expect(direct.sort()).toEqual(['NotCloudTrail', 'PcaAuditError']);
  });

  it('who refused: AWS for AWS errors and for a "not now" AWS said; else pca-audit', () => {
    expect(new AwsError('Op', 'E', 'm').refusedBy).toBe('AWS');
    expect(new ReportFailedError('r', 'FAILED', []).refusedBy).toBe('AWS');
    expect(new RetryLaterError('AWS', 'OtherFormatHandedBack', 'm', RETRY_AT).refusedBy).toBe('AWS');
    expect(new UsageError('m').refusedBy).toBe('pca-audit');
    expect(new StateError('/p', 'm').refusedBy).toBe('pca-audit');
  });

  it('a "not now" of AWS names its answer; the brief form (run summary) does not', () => {
    const err = new RetryLaterError('AWS', 'ReportWaitTimeout', 'still CREATING', RETRY_AT, {
      aws: {
        operation: 'CreateCertificateAuthorityAuditReport',
        errorName: 'ThrottlingException',
        requestId: 'q-1',
      },
    });
    const after = `still CREATING; retry after ${formatInstant(RETRY_AT)}`;
    expect(describeError(err)).toBe(
      `not now: refused by AWS (CreateCertificateAuthorityAuditReport: ThrottlingException, request id q-1): ${after}`,
    );
    expect(describeError(err, { brief: true })).toBe(`not now: refused by AWS: ${after}`);
    const wait = new RetryLaterError('pca-audit', 'ReportWaitTimeout', 'still CREATING', RETRY_AT);
    expect(describeError(wait, { brief: true })).toBe(`not now: pca-audit stopped waiting for AWS: ${after}`);
    const own = new RetryLaterError('pca-audit', 'ReportIntervalNotElapsed', 'too soon', RETRY_AT);
    expect(describeError(own, { brief: true })).toMatch(/^not now: refused by pca-audit: too soon;/);
  });

  it('untrusted parts of the text go through clean (the CLI escapes them for the terminal)', () => {
    const clean = (s: string) => s.replaceAll('\x1b', '\\e');
    expect(describeError(new InputError('a\x1b[2J.csv', 'bad \x1b[31m'), { clean })).toBe(
      'reading report "a\\e[2J.csv": bad \\e[31m',
    );
    expect(describeError(new Error('\x1b[31m'), { clean })).toBe('internal error: \\e[31m');
  });

  it('keeps the cause (ES2022) and the hint', () => {
    const cause = new Error('EIO');
    expect(new InputError('r', 'm', { cause }).cause).toBe(cause);
    expect(hintOf(new AwsError('Op', 'AccessDenied', 'm', undefined, 'grant it'))).toBe('grant it');
    expect(hintOf(new BucketSetupError('m', 'the fix'))).toBe('the fix');
    expect(hintOf(new Error('m'))).toBeUndefined();
  });

  it("the README's exit-code table lists every code a command can end with", () => {
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    const section = readme.slice(readme.indexOf('### Exit codes'));
    const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| code |')));
    const listed = new Set([...table.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1])));
    const codes = new Set([EXIT_OK, EXIT_FINDINGS, EXIT_INTERNAL, ...Object.values(EXIT_CODE_OF_KIND)]);
    expect(listed.size).toBeGreaterThan(0);
    for (const code of codes) expect(listed, `exit ${code}`).toContain(code);
    for (const code of listed) expect(codes, `README exit ${code}`).toContain(code);
  });
});
