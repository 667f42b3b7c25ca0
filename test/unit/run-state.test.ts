import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/finding.js';
import type { Checkpoint } from '../../src/core/run/checkpoint.js';
import {
  applyAcks,
  findingKey,
  parseAcks,
  renderRunMarkdown,
  summariseRun,
} from '../../src/core/run/run-model.js';
import { verifyHistory } from '../../src/run/ca-step.js';
import { checkpointHash } from '../../src/store/fs-state-store.js';
import {
  acquireLock,
  openStateDir,
  STATE_LAYOUT,
  StateError,
  writeAtomic,
} from '../../src/store/fs-store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pca-audit-state-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const finding = (
  code: Finding['code'],
  serial: string | undefined,
  severity: Finding['severity'] = 'error',
): Finding => ({
  code,
  severity,
  ...(serial === undefined ? {} : { serial }),
  message: `${code} for ${serial ?? 'nothing'}`,
  evidence: {},
});

describe('acknowledgements', () => {
  it('parses code, serial in any written form, reason and expiry', () => {
    const r = parseAcks(
      JSON.stringify([
        {
          code: 'REVOKED_WITHOUT_EVENT',
          serial: '00:DD:38:91',
          reason: 'revoked by the console during the outage',
        },
        { code: 'LATE_ISSUANCE', serial: '*', reason: 'backfill', expires: '2026-12-01' },
      ]),
    );
    expect(r).toEqual({
      ok: true,
      acks: [
        {
          code: 'REVOKED_WITHOUT_EVENT',
          serial: 'dd3891',
          reason: 'revoked by the console during the outage',
        },
        { code: 'LATE_ISSUANCE', serial: '*', reason: 'backfill', expires: Date.UTC(2026, 11, 1) / 1000 },
      ],
    });
  });

  it.each([
    ['not JSON', '{', /not valid JSON/],
    ['not a list', '{"a":1}', /expected a JSON array/],
    ['unknown code', '[{"code":"NOPE","reason":"x"}]', /unknown finding code "NOPE"/],
    ['no reason', '[{"code":"LATE_ISSUANCE","serial":"01"}]', /a reason is required/],
    ['bad serial', '[{"code":"LATE_ISSUANCE","serial":"zz","reason":"x"}]', /entry 1: serial "zz"/],
    [
      'bad expiry',
      '[{"code":"LATE_ISSUANCE","reason":"x","expires":"soon"}]',
      /expires "soon" is not an instant/,
    ],
  ])('refuses %s', (_name, text, message) => {
    const r = parseAcks(text);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toMatch(message);
  });

  it('turns matching findings into info with the acknowledgement as evidence; expired ones do nothing', () => {
    const acks = [
      { code: 'REVOKED_WITHOUT_EVENT', serial: 'dd3891', reason: 'known' },
      { code: 'CERTIFICATE_CHANGED', serial: '*', reason: 'old', expires: 100 },
    ];
    const { findings, expired } = applyAcks(
      [
        finding('REVOKED_WITHOUT_EVENT', 'dd:38:91'),
        finding('REVOKED_WITHOUT_EVENT', '01'),
        finding('CERTIFICATE_CHANGED', '02'),
      ],
      acks,
      200,
    );
    expect(findings.map((f) => f.severity)).toEqual(['info', 'error', 'error']);
    expect(findings[0]!.evidence.acknowledged).toEqual({ reason: 'known', originalSeverity: 'error' });
    expect(expired).toEqual([acks[1]]);
  });
});

describe('alert keys and the morning summary', () => {
  it('the same finding of the same CA has the same key; another CA or message does not', () => {
    const f = finding('CERTIFICATE_UNREVOKED', '01');
    expect(findingKey('ca1', f)).toBe(findingKey('ca1', { ...f, evidence: { other: 1 } }));
    expect(findingKey('ca1', f)).not.toBe(findingKey('ca2', f));
    expect(findingKey('ca1', f)).not.toBe(findingKey('ca1', { ...f, message: 'else' }));
  });

  it('the run exit code is the worst of the CAs; the Markdown lists the new alerts', () => {
    const s = summariseRun(
      'r1',
      1795000000.5,
      'warning',
      false,
      [
        {
          ca: 'arn:a/ca1',
          outcome: { status: 'unchanged', reportId: 'x' },
          newAlerts: [],
          persistentAlerts: [],
          counts: { error: 0, warning: 0, info: 0 },
          exitCode: 0,
        },
        {
          ca: 'arn:a/ca2',
          outcome: { status: 'failed', error: 'AWS GetObject failed: NoSuchBucket', exitCode: 3 },
          newAlerts: [],
          persistentAlerts: [],
          counts: { error: 0, warning: 0, info: 0 },
          exitCode: 3,
        },
        {
          ca: 'arn:a/ca3',
          outcome: { status: 'baseline', reportId: 'y', createdAt: 'z', certificates: 3 },
          newAlerts: [finding('DUPLICATE_SERIAL', '0a')],
          persistentAlerts: [],
          counts: { error: 1, warning: 0, info: 0 },
          exitCode: 1,
        },
      ],
      [],
    );
    expect(s.exitCode).toBe(3);
    expect(s.startedAt).toBe('2026-11-18T11:06:40Z');
    const md = renderRunMarkdown(s);
    expect(md).toContain('| arn:a/ca2 | failed: AWS GetObject failed: NoSuchBucket |');
    expect(md).toContain('### New alerts (1)');
    expect(md).toContain('| ca3 | error | DUPLICATE_SERIAL | 0a |');
  });
});

describe('state directory', () => {
  it('writes atomically: the file is whole and no temporary file is left', async () => {
    const path = join(dir, 'a', 'b.json');
    await writeAtomic(path, '{"x":1}\n');
    await writeAtomic(path, '{"x":2}\n');
    expect(readFileSync(path, 'utf8')).toBe('{"x":2}\n');
    expect(readdirSync(join(dir, 'a'))).toEqual(['b.json']);
  });

  it('records its layout, and refuses a newer one with a clear message', async () => {
    await openStateDir(dir);
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).layout).toBe(STATE_LAYOUT);
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ layout: STATE_LAYOUT + 1 }));
    await expect(openStateDir(dir)).rejects.toThrow(
      new RegExp(`layout ${STATE_LAYOUT + 1} is newer than this pca-audit understands \\(${STATE_LAYOUT}\\)`),
    );
  });

  it('a second lock fails while the first is held; a lock of a dead process is taken over', async () => {
    const now = () => Date.now() / 1000;
    const notes: string[] = [];
    const release = await acquireLock(dir, now, 3600, (m) => notes.push(m));
    await expect(acquireLock(dir, now, 3600, () => {})).rejects.toThrow(StateError);
    await expect(acquireLock(dir, now, 3600, () => {})).rejects.toThrow(
      /another pca-audit run holds the lock \(pid \d+/,
    );
    await release();
    // a lock left by a process that no longer runs on this host
    const { hostname } = await import('node:os');
    writeFileSync(
      join(dir, 'lock'),
      JSON.stringify({
        pid: 2 ** 22 + 12345,
        host: hostname(),
        startedAt: new Date().toISOString(),
        token: 't',
      }),
    );
    const again = await acquireLock(dir, now, 3600, (m) => notes.push(m));
    expect(notes.join('\n')).toMatch(/taking over a stale lock/);
    await again();
  });
});

describe('history chain', () => {
  async function setup(): Promise<Checkpoint> {
    await writeAtomic(join(dir, 'reports', 'r2.json'), '[]');
    const prev = {
      layout: 1 as const,
      ca: 'arn',
      reportId: 'r1',
      bucket: 'b',
      key: 'k1',
      format: 'json' as const,
      createdAt: '2026-11-19T02:00:00Z',
      reportFile: 'reports/r1.json',
      reportSha256: 'x',
      previous: null,
      runId: 'run1',
    };
    const prevCp = { ...prev, hash: checkpointHash(prev) };
    await writeAtomic(join(dir, 'history', `${prevCp.hash}.json`), JSON.stringify(prevCp));
    const { createHash } = await import('node:crypto');
    const cur = {
      ...prev,
      reportId: 'r2',
      key: 'k2',
      reportFile: 'reports/r2.json',
      reportSha256: createHash('sha256').update('[]').digest('hex'),
      previous: prevCp.hash,
      runId: 'run2',
    };
    return { ...cur, hash: checkpointHash(cur) };
  }

  it('an intact chain has no findings', async () => {
    expect(await verifyHistory(dir, await setup())).toEqual([]);
  });

  it('an edited checkpoint, an edited or missing previous one, and an edited report are HISTORY_TAMPERED', async () => {
    const cp = await setup();
    expect(
      (await verifyHistory(dir, { ...cp, createdAt: '2026-11-20T00:00:00Z' })).map((f) => f.message),
    ).toEqual(['the checkpoint does not match its own hash (edited?)']);
    writeFileSync(join(dir, 'reports', 'r2.json'), '[ ]');
    const prevPath = join(dir, 'history', `${cp.previous}.json`);
    const prev = JSON.parse(readFileSync(prevPath, 'utf8'));
    writeFileSync(prevPath, JSON.stringify({ ...prev, reportId: 'forged' }));
    const found = await verifyHistory(dir, cp);
    expect(found.map((f) => f.code)).toEqual(['HISTORY_TAMPERED', 'HISTORY_TAMPERED']);
    expect(found[0]!.message).toMatch(/previous checkpoint .* was edited/);
    expect(found[1]!.message).toMatch(/no longer matches its SHA-256/);
    rmSync(prevPath);
    expect((await verifyHistory(dir, cp))[0]!.message).toMatch(/is missing from the history/);
  });
});
