/**
 * Issue 13 items 2 and 3: what reaches a terminal, a Markdown file or a spreadsheet. Report rows and
 * CloudTrail records carry control characters and formulas in every field; every text path must show
 * them escaped, and no CSV line may start a formula.
 */
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { makeContext } from '../../src/cli/context.js';
import { memoryStreams } from '../../src/cli/streams.js';
import { renderDiffCsv, renderInspectCsv } from '../../src/core/render/csv.js';
import { renderDiffMarkdown, renderInspectMarkdown } from '../../src/core/render/markdown.js';
import { safeOutput } from '../../src/core/render/style.js';
import { renderDiffText, renderInspectText } from '../../src/core/render/text.js';
import type { DiffOutput, InspectOutput } from '../../src/core/report/report-model.js';
import {
  ALICE_ROLE_ARN,
  aRecord,
  aRevokeRecord,
  aSerial,
  assumedRoleIdentity,
  epoch,
  eventsOf,
  inspectOf,
  reconcileRun,
  toJsonReport,
} from '../builders.js';

/** Terminal controls of every kind: cursor, clear screen, title, bell, line breaks, DEL, C1 CSI and NEL. */
const NASTY = '\u001b[2J\u001b]0;pwned\u0007\r\n=cmd|x\r@SUM(1)\t-\u007f\u009b31m\u0085\u0000';

/** Every byte below 0x20 but LF, DEL and the C1 range, as code points. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const FORBIDDEN = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the colour codes paint writes
const OWN_SGR = /\u001b\[(?:1|2|22|31|32|33|36|39)m/g;

const at = epoch('2026-11-20T00:00:00Z');

/** A new string value for every string in the model (and the keys of its count tables). */
function poisoned<T>(value: T): T {
  const walk = (v: unknown, key: string): unknown => {
    // a severity picks a colour: it is a closed set, not text from a report
    if (typeof v === 'string') return key === 'severity' ? v : `${v}${NASTY}`;
    if (Array.isArray(v)) return v.map((x) => walk(x, key));
    if (v && typeof v === 'object') {
      const countTable = ['byTemplate', 'revokedByReason', 'omittedFindings'].includes(key);
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => [countTable ? `${k}${NASTY}` : k, walk(x, k)]),
      );
    }
    return v;
  };
  return walk(value, '') as T;
}

async function nastyInspect(): Promise<InspectOutput> {
  const records = [
    aRecord({
      serial: aSerial(0),
      notAfter: '2026-11-25T00:00:00+0000',
      subject: `CN=x${NASTY}`,
      templateArn: `arn:aws:acm-pca:::template/${NASTY}/V1`,
    }),
    aRecord({ serial: aSerial(1), revocationReason: `KEY${NASTY}`, revokedAt: `2026${NASTY}` }),
    aRecord({ serial: `${aSerial(2)}${NASTY}`, issuedAt: NASTY, notAfter: '2026-11-26T00:00:00+0000' }),
  ];
  return inspectOf(toJsonReport(records), { at, expiringWithin: 30 * 86400, source: `r${NASTY}.json` });
}

async function nastyDiff(): Promise<DiffOutput> {
  const old = [aRecord({ serial: aSerial(0) }), aRecord({ serial: aSerial(1) })];
  const now = [
    old[0]!,
    aRecord({ serial: aSerial(1), revokedAt: '2026-11-19T10:00:00+0000', revocationReason: 'SUPERSEDED' }),
    aRecord({
      serial: aSerial(3),
      issuedAt: '2026-11-19T12:00:00+0000',
      subject: `CN=${NASTY}`,
      templateArn: NASTY,
    }),
  ];
  const identity = { ...assumedRoleIdentity(`${ALICE_ROLE_ARN}${NASTY}`), principalId: NASTY };
  const events = eventsOf([
    aRevokeRecord(aSerial(1), '2026-11-19T09:59:00Z', {
      reason: `KEY_COMPROMISE${NASTY}`,
      extra: { userIdentity: identity, userAgent: NASTY, sourceIPAddress: NASTY },
    }),
    aRevokeRecord(`${aSerial(5)}${NASTY}`, '2026-11-19T11:00:00Z', {
      errorCode: `AccessDenied${NASTY}`,
      errorMessage: `no${NASTY}`,
      extra: { userIdentity: identity },
    }),
    aRevokeRecord(aSerial(6), '2026-11-19T11:30:00Z', { extra: { userIdentity: identity } }),
  ]);
  const run = await reconcileRun(toJsonReport(old), toJsonReport(now), events, {
    oldCreatedAt: epoch('2026-11-19T02:00:00Z'),
    newCreatedAt: epoch('2026-11-20T02:00:00Z'),
    oldSource: `old${NASTY}`,
    newSource: `new${NASTY}`,
  });
  return run.out;
}

function expectTerminalSafe(text: string): void {
  expect(text).not.toMatch(FORBIDDEN);
}

describe('text and Markdown output escape control characters (issue 13 item 3)', () => {
  it('notes on stderr (report paths, S3 keys) escape control characters', () => {
    const streams = memoryStreams();
    makeContext({ retryMode: 'standard', maxAttempts: 1 }, streams).note(`kept s3://b/${NASTY}`);
    expect(streams.err()).toMatch(/^pca-audit: kept s3:\/\/b\/.*\n$/);
    expect(streams.err().slice(0, -1)).not.toMatch(FORBIDDEN);
  });

  it('inspect: report fields (subject, templateArn, serial, reason, source) never reach the terminal raw', async () => {
    const out = await nastyInspect();
    expect(Object.keys(out.summary.byTemplate).some((k) => k.includes('\u001b'))).toBe(true);
    for (const o of [out, poisoned(out)]) {
      expectTerminalSafe(renderInspectText(o, { color: false }));
      expectTerminalSafe(renderInspectMarkdown(o));
    }
  });

  it('diff: report and CloudTrail fields (actor, errorCode, errorMessage, serial, reason) are escaped', async () => {
    const out = await nastyDiff();
    // the events' text did reach the findings, so the renderers had something to escape
    expect(out.findings.map((f) => f.code)).toEqual(
      expect.arrayContaining(['REVOKE_ATTEMPT_FAILED', 'EVENT_FOR_UNKNOWN_CERTIFICATE']),
    );
    expect(JSON.stringify(out.findings)).toContain('\\u001b');
    for (const o of [out, poisoned(out)]) {
      expectTerminalSafe(renderDiffText(o, { color: false }));
      expectTerminalSafe(renderDiffMarkdown(o));
    }
  });

  it('with colour on, only our own colour codes survive, as many as for clean text', async () => {
    const clean = await nastyDiff();
    const dirty = poisoned(clean);
    const text = renderDiffText(dirty, { color: true });
    expect(text.replace(OWN_SGR, '')).not.toMatch(FORBIDDEN);
    expect(text.match(OWN_SGR)?.length).toBe(renderDiffText(clean, { color: true }).match(OWN_SGR)?.length);
    const inspect = poisoned(await nastyInspect());
    const itext = renderInspectText(inspect, { color: true });
    expect(itext.replace(OWN_SGR, '')).not.toMatch(FORBIDDEN);
  });

  it('safeOutput keeps LF and escapes everything else, colour codes too unless colour is on', () => {
    expect(safeOutput('a\nb\r\tc\u001b[31md\u009b')).toBe('a\nb\\x0d\\x09c\\x1b[31md\\x9b');
    expect(safeOutput('\u001b[31mx\u001b[39m\u001b[2J', { color: true })).toBe(
      '\u001b[31mx\u001b[39m\\x1b[2J',
    );
  });
});

/** Each index that starts a line in `text`: 0 and every one after a CR or LF. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let k = 0; k < text.length; k++) if (text[k] === '\r' || text[k] === '\n') starts.push(k + 1);
  return starts.filter((k) => k < text.length);
}

function expectNoFormulaStart(csv: string): void {
  // the file as a spreadsheet reading lines might split it
  for (const k of lineStarts(csv)) expect(csv.slice(k, k + 12), `at ${k}`).not.toMatch(/^[=+\-@\t\r]/);
  // and every cell, at its start and after each line break inside it
  const rows = parse(csv, { relax_column_count: true }) as string[][];
  expect(rows.length).toBeGreaterThan(1);
  for (const row of rows) {
    expect(row).toHaveLength(12);
    for (const cell of row) {
      for (const k of lineStarts(cell)) {
        expect(cell.slice(k, k + 12), JSON.stringify(cell)).not.toMatch(/^[=+\-@\t\r]/);
      }
    }
  }
}

describe('CSV output starts no formula on any line (issue 13 item 2)', () => {
  it('a bare CR then a formula in a subject does not start a new row', async () => {
    const out = poisoned(await nastyDiff());
    const issued = out.changes.issued[0]!;
    issued.subject = "CN=x\r=cmd|' /C calc'!A0";
    const csv = renderDiffCsv(out);
    expectNoFormulaStart(csv);
    const rows = parse(csv, { columns: true }) as Array<Record<string, string>>;
    // one record per change and finding: nothing split off into a row of its own
    expect(rows).toHaveLength(
      out.changes.issued.length +
        out.changes.revoked.length +
        out.changes.expired.length +
        out.findings.length,
    );
    expect(rows[0]!.subject).toBe("CN=x\r'=cmd|' /C calc'!A0");
  });

  it('inspect: every cell of a poisoned report', async () => {
    expectNoFormulaStart(renderInspectCsv(poisoned(await nastyInspect())));
  });
});
