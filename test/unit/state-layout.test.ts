/**
 * issue 16 item 1: state layout 2 (cas/<account>/<region>/<CA_ID>/), the move from layout 1, and
 * the summary of a run over accounts, grouped by account and Region.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assumeRoleError } from '../../src/aws/clients.js';
import { renderRunMarkdown, summariseRun } from '../../src/core/run/run-model.js';
import { STATE_LAYOUT } from '../../src/store/fs-store.js';
import { caKey, migrateToLayout2 } from '../../src/store/layout.js';

const ID = '11111111-2222-4333-8444-555555555555';
const CA = `arn:aws:acm-pca:eu-west-1:444455556666:certificate-authority/${ID}`;
const ORPHAN = '99999999-2222-4333-8444-555555555555';

let state: string;
beforeEach(() => {
  state = mkdtempSync(join(tmpdir(), 'pca-audit-layout-'));
});
afterEach(() => rmSync(state, { recursive: true, force: true }));

const write = (path: string, text: string) => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
};

/** A layout-1 state: one CA with history, an unapplied commit record, and a directory nothing names. */
function layout1(): void {
  write(join(state, 'state.json'), '{"layout": 1}');
  write(join(state, 'cas', ID, 'checkpoint.json'), JSON.stringify({ layout: 1, ca: CA, reportId: 'r2' }));
  write(join(state, 'cas', ID, 'history', 'abc.json'), JSON.stringify({ ca: CA }));
  write(join(state, 'cas', ID, 'alerted.json'), '{}');
  write(join(state, 'cas', ID, 'reports', 'r2.json'), '[]');
  write(join(state, 'cas', ORPHAN, 'reports', 'r.json'), '[]');
  write(
    join(state, 'runs', 'run1', 'commit.json'),
    JSON.stringify({
      runId: 'run1',
      checkpoints: { [ID]: { ca: CA } },
      alerted: { [ID]: ['k'] },
      applied: false,
      notification: {},
    }),
  );
}

function recorder() {
  const puts: string[] = [];
  const removes: string[] = [];
  return {
    puts,
    removes,
    mirror: {
      put: async (p: string) => void puts.push(relative(state, p)),
      remove: async (p: string) => void removes.push(relative(state, p)),
    },
  };
}

describe('state layout 2', () => {
  it('is the layout this pca-audit writes', () => expect(STATE_LAYOUT).toBe(2));

  it('moves a layout-1 state: the CA directory, commit records rekeyed, the marker last, the mirror in step', async () => {
    layout1();
    const notes: string[] = [];
    const r = recorder();
    await migrateToLayout2(state, join(state, 'state.json'), r.mirror, (m) => notes.push(m));
    const moved = join(state, 'cas', '444455556666', 'eu-west-1', ID);
    for (const f of ['checkpoint.json', 'history/abc.json', 'alerted.json', 'reports/r2.json'])
      expect(existsSync(join(moved, f)), f).toBe(true);
    expect(existsSync(join(state, 'cas', ID))).toBe(false);
    const commit = JSON.parse(readFileSync(join(state, 'runs', 'run1', 'commit.json'), 'utf8'));
    expect(Object.keys(commit.checkpoints)).toEqual([
      caKey({ account: '444455556666', region: 'eu-west-1', id: ID }),
    ]);
    expect(Object.keys(commit.alerted)).toEqual([`444455556666/eu-west-1/${ID}`]);
    expect(JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')).layout).toBe(2);
    // a directory nothing names is left where it is, and said so
    expect(existsSync(join(state, 'cas', ORPHAN, 'reports', 'r.json'))).toBe(true);
    expect(notes.join('\n')).toMatch(new RegExp(`cas/${ORPHAN} names no CA ARN`));
    // the mirror: the commit record, then the moved files, then the old keys removed, the marker last
    expect(r.puts.at(-1)).toBe('state.json');
    expect(r.puts).toContain(`cas/444455556666/eu-west-1/${ID}/checkpoint.json`);
    expect(r.removes).toContain(`cas/${ID}/checkpoint.json`);
    expect(r.puts.indexOf('runs/run1/commit.json')).toBeLessThan(
      r.puts.indexOf(`cas/444455556666/eu-west-1/${ID}/checkpoint.json`),
    );
  });

  it('finishes a move a crash interrupted: what is at the new place wins, the rest is removed', async () => {
    layout1();
    // the crash: the S3 copy had the new keys written, and the old ones not all removed yet
    write(
      join(state, 'cas', '444455556666', 'eu-west-1', ID, 'checkpoint.json'),
      JSON.stringify({ ca: CA, reportId: 'new' }),
    );
    await migrateToLayout2(state, join(state, 'state.json'), undefined, () => {});
    const cp = JSON.parse(
      readFileSync(join(state, 'cas', '444455556666', 'eu-west-1', ID, 'checkpoint.json'), 'utf8'),
    );
    expect(cp.reportId).toBe('new');
    expect(existsSync(join(state, 'cas', ID))).toBe(false);
    // run again (a crash before the marker): nothing changes
    await migrateToLayout2(state, join(state, 'state.json'), undefined, () => {});
    expect(
      JSON.parse(readFileSync(join(state, 'runs', 'run1', 'commit.json'), 'utf8')).checkpoints,
    ).toHaveProperty(`444455556666/eu-west-1/${ID}`);
  });
});

describe('a run over accounts: the summary', () => {
  const result = (ca: string, exitCode = 0) => ({
    ca,
    outcome: {
      status: 'baseline' as const,
      reportId: 'r',
      createdAt: '2026-12-01T00:00:00Z',
      certificates: 1,
    },
    newAlerts: [],
    persistentAlerts: [],
    counts: { error: 0, warning: 0, info: 0 },
    exitCode,
  });
  const targets = [
    {
      account: '444455556666',
      region: 'eu-west-1',
      bucket: 'b-1',
      status: 'ok' as const,
      cas: 1,
      exitCode: 0,
    },
    {
      account: '777788889999',
      region: 'us-east-1',
      bucket: 'b-2',
      status: 'failed' as const,
      cas: 0,
      error:
        'AWS AssumeRole failed: AccessDenied: refused by AWS: sts:AssumeRole of arn:aws:iam::777788889999:role/r: no|\x1b[31m',
      exitCode: 3,
    },
  ];

  it('gives each CA its account and Region, lists the targets, and takes the worst exit code', () => {
    const s = summariseRun('run', 0, 'warning', false, [result(CA)], [], false, targets);
    expect(s.cas[0]).toMatchObject({ account: '444455556666', region: 'eu-west-1' });
    expect(s.targets).toEqual(targets);
    expect(s.exitCode).toBe(3);
  });

  it('Markdown: a heading per account and Region; a failed target with its error, escaped', () => {
    const md = renderRunMarkdown(summariseRun('run', 0, 'warning', false, [result(CA)], [], false, targets));
    expect(md).toContain('### 444455556666 / eu-west-1 (bucket b-1)');
    expect(md).toContain('### 777788889999 / us-east-1 (bucket b-2)');
    expect(md).toMatch(/Target FAILED \(exit 3\): .*sts:AssumeRole of arn:aws:iam::777788889999:role\/r/);
    expect(md).not.toContain('\x1b');
    expect(md).toContain('no\\|');
  });

  it('a run without accounts keeps its one table', () => {
    const md = renderRunMarkdown(summariseRun('run', 0, 'warning', false, [result(CA)], []));
    expect(md).not.toContain('###');
    expect(md).toContain('| CA | Status |');
  });
});

describe('AssumeRole refused', () => {
  it('is one AWS error naming the role, exit 3 material', () => {
    const err = assumeRoleError('arn:aws:iam::777788889999:role/r', {
      name: 'AccessDenied',
      message: 'User is not authorized to perform: sts:AssumeRole',
      $metadata: { requestId: 'req-1' },
    });
    expect(err.operation).toBe('AssumeRole');
    expect(err.errorName).toBe('AccessDenied');
    expect(err.message).toBe(
      'refused by AWS: sts:AssumeRole of arn:aws:iam::777788889999:role/r: User is not authorized to perform: sts:AssumeRole',
    );
    expect(err.requestId).toBe('req-1');
  });
});
