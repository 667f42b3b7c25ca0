/**
 * The nightly job's alert model (issue 13 item 18) and the webhook URL's credentials (item 5):
 * the pure parts; test/aws/run-options.test.ts runs the job itself.
 */
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/finding.js';
import {
  alertExitCode,
  findingKey,
  isOldReportFinding,
  renderRunMarkdown,
  splitAlerts,
  summariseRun,
} from '../../src/core/run/run-model.js';
import { parseWebhookUrl, redactUrl } from '../../src/core/run/webhook-url.js';

const OLD = '/state/cas/ca1/reports/r1.json';
const NEW = '/state/cas/ca1/reports/r2.json';

const row = (report: string, line: number) => ({ report, line, byte: line * 100 });

const incomplete = (report: string): Finding => ({
  code: 'REVOCATION_INCOMPLETE',
  severity: 'warning',
  serial: '0a',
  message: 'revocationReason KEY_COMPROMISE without a revokedAt',
  evidence: { row: row(report, 2) },
});

const changed: Finding = {
  code: 'CERTIFICATE_CHANGED',
  severity: 'error',
  serial: '0b',
  message: 'subject changed',
  evidence: { old: row(OLD, 3), new: row(NEW, 3) },
};

describe('issue 13 item 18: which findings a night counts and alerts', () => {
  it('a finding of the OLD report against itself is the OLD side; a diff finding naming OLD is not', () => {
    expect(isOldReportFinding(incomplete(OLD), OLD, NEW)).toBe(true);
    expect(isOldReportFinding(incomplete(NEW), OLD, NEW)).toBe(false);
    expect(isOldReportFinding(changed, OLD, NEW)).toBe(false);
    const dup: Finding = {
      code: 'DUPLICATE_SERIAL',
      severity: 'error',
      serial: '0c',
      message: 'again',
      evidence: { first: row(OLD, 4), again: row(OLD, 9) },
    };
    expect(isOldReportFinding(dup, OLD, NEW)).toBe(true);
    // one file diffed against itself has no OLD side of its own
    expect(isOldReportFinding(incomplete(OLD), OLD, OLD)).toBe(false);
  });

  it('the OLD report finding counts once (through NEW), as persistent when alerted before, not as new', () => {
    const findings = [incomplete(OLD), incomplete(NEW), changed];
    const alerted = { [findingKey('ca1', incomplete(NEW))]: 'run-1' };
    const split = splitAlerts('ca1', findings, alerted, 'warning', { old: OLD, new: NEW });
    expect(split.counted).toEqual([incomplete(NEW), changed]);
    expect(split.persistentAlerts).toEqual([incomplete(NEW)]);
    expect(split.newAlerts).toEqual([changed]);
    // never alerted (another fail-on then): new, but still once
    const fresh = splitAlerts('ca1', findings, {}, 'warning', { old: OLD, new: NEW });
    expect(fresh.newAlerts.map((f) => f.code)).toEqual(['REVOCATION_INCOMPLETE', 'CERTIFICATE_CHANGED']);
    // below --fail-on: counted, not alerted
    const quiet = splitAlerts('ca1', findings, {}, 'error', { old: OLD, new: NEW });
    expect(quiet.counted).toHaveLength(2);
    expect(quiet.newAlerts).toEqual([changed]);
  });

  it('exit 1 for new alerts only; persistent ones with --repeat-alerts; findings left out of the lists count as new', () => {
    const split = { counted: [], newAlerts: [], persistentAlerts: [incomplete(NEW)] };
    expect(alertExitCode(split, {}, 'warning', false)).toBe(0);
    expect(alertExitCode(split, {}, 'warning', true)).toBe(1);
    expect(alertExitCode({ ...split, newAlerts: [changed] }, {}, 'warning', false)).toBe(1);
    expect(alertExitCode(split, { INVALID_RECORD: 3 }, 'warning', false)).toBe(1);
    expect(alertExitCode(split, { VALIDITY_INVERTED: 3 }, 'error', false)).toBe(0);
  });

  it('the summary lists persistent alerts apart, in JSON and Markdown', () => {
    const s = summariseRun(
      'r2',
      1795000000,
      'warning',
      false,
      [
        {
          ca: 'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/ca1',
          outcome: { status: 'unchanged', reportId: 'x' },
          newAlerts: [],
          persistentAlerts: [incomplete(NEW)],
          counts: { error: 0, warning: 1, info: 0 },
          exitCode: 0,
        },
      ],
      [],
    );
    expect(s.repeatAlerts).toBe(false);
    expect(s.cas[0]!.persistentAlerts).toEqual([
      { code: 'REVOCATION_INCOMPLETE', severity: 'warning', serial: '0a', message: incomplete(NEW).message },
    ]);
    const md = renderRunMarkdown(s);
    expect(md).toContain('No new alerts.');
    expect(md).toContain('### Persistent alerts (1)');
    expect(md).toContain('| ca1 | warning | REVOCATION_INCOMPLETE | 0a |');
    // a summary written before persistent alerts existed still renders
    const { persistentAlerts: _gone, ...legacyCa } = s.cas[0]!;
    expect(renderRunMarkdown({ ...s, cas: [legacyCa as (typeof s.cas)[0]] })).not.toContain('Persistent');
  });
});

describe('issue 13 item 5: webhook URL credentials', () => {
  it('a user:pass@ becomes a Basic Authorization header and leaves the URL', () => {
    expect(parseWebhookUrl('https://ops:s3cr%2Ft@hooks.example.test/x?a=1')).toEqual({
      ok: true,
      target: {
        url: 'https://hooks.example.test/x?a=1',
        authorization: `Basic ${Buffer.from('ops:s3cr/t').toString('base64')}`,
      },
    });
    expect(parseWebhookUrl('http://127.0.0.1:8080/hook')).toEqual({
      ok: true,
      target: { url: 'http://127.0.0.1:8080/hook' },
    });
    expect(parseWebhookUrl('ftp://ops:pw@h/').ok).toBe(false);
    expect(parseWebhookUrl('not a url').ok).toBe(false);
  });

  it('a URL is printed without its credentials, parseable or not', () => {
    expect(redactUrl('http://eve:hunter2@127.0.0.1:9/x')).toBe('http://127.0.0.1:9/x');
    expect(redactUrl('http://eve:hunter2@[bad/x')).toBe('http://[bad/x');
    expect(redactUrl('https://example.test/x')).toBe('https://example.test/x');
  });
});
