import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { neutraliseCell, renderDiffCsv, renderInspectCsv } from '../../src/core/render/csv.js';
import { renderJson } from '../../src/core/render/json.js';
import { mdCell, renderDiffMarkdown, renderInspectMarkdown } from '../../src/core/render/markdown.js';
import { paint, table } from '../../src/core/render/style.js';
import { renderDiffText, renderInspectText } from '../../src/core/render/text.js';
import type { DiffOutput, InspectOutput } from '../../src/core/report/report-model.js';
import { aRecord, aSerial, diffOf, epoch, inspectOf, toJsonReport } from '../builders.js';

const ESC = '\u001b';
const WINDOW = { oldCreatedAt: epoch('2026-11-19T02:00:00Z'), newCreatedAt: epoch('2026-11-20T02:00:00Z') };

/** A small diff: one issued certificate with a pipe in its subject, one whose subject is a formula, a revocation, a disappearance. */
async function smallDiff(extra: ReturnType<typeof aRecord>[] = []): Promise<DiffOutput> {
  const old = [
    aRecord({ serial: aSerial(0) }),
    aRecord({ serial: aSerial(1) }),
    aRecord({ serial: aSerial(2) }),
  ];
  const now = [
    old[0]!,
    aRecord({
      serial: aSerial(1),
      revokedAt: '2026-11-19T10:00:00+0000',
      revocationReason: 'KEY_COMPROMISE',
    }),
    aRecord({ serial: aSerial(3), issuedAt: '2026-11-19T12:00:00+0000', subject: 'CN=a|b,O=Pipe Co' }),
    aRecord({
      serial: aSerial(4),
      issuedAt: '2026-11-19T13:00:00+0000',
      subject: '=HYPERLINK("http://evil.example")',
    }),
    ...extra,
  ];
  return diffOf(toJsonReport(old), toJsonReport(now), WINDOW);
}

async function smallInspect(): Promise<InspectOutput> {
  const records = [
    aRecord({ serial: aSerial(0), notAfter: '2026-11-25T00:00:00+0000', subject: '+CN=plus|pipe' }),
    aRecord({ serial: aSerial(1), revocationReason: 'SUPERSEDED' }),
  ];
  return inspectOf(toJsonReport(records), { at: epoch('2026-11-20T00:00:00Z'), expiringWithin: 30 * 86400 });
}

describe('neutraliseCell (CSV formula injection)', () => {
  it.each([
    ['=', '=1+1'],
    ['+', '+1'],
    ['-', '-2+3'],
    ['@', '@SUM(A1:A2)'],
    ['tab', '\t=1'],
  ])('a cell starting with %s gets a leading apostrophe', (_name, value) => {
    expect(neutraliseCell(value)).toBe(`'${value}`);
  });

  // issue 13 item 2: the line after a CR, LF or CRLF inside a cell is a line start too
  it.each([
    ['CR', '\r=1', "'\r'=1"],
    ['CR then a formula', 'CN=x\r=cmd|x', "CN=x\r'=cmd|x"],
    ['LF', 'a\n+1', "a\n'+1"],
    ['CRLF', 'a\r\n@SUM(1)', "a\r\n'@SUM(1)"],
    ['CR CR', 'a\r\r-1', "a\r'\r'-1"],
    ['a tab after LF', 'a\n\t=1', "a\n'\t=1"],
  ])('a line starting with a formula after %s gets a leading apostrophe', (_name, value, expected) => {
    expect(neutraliseCell(value)).toBe(expected);
  });

  it.each(['a\nb', 'a\r\nb', 'a\n'])('%j is left alone', (value) => {
    expect(neutraliseCell(value)).toBe(value);
  });

  it.each(['', 'CN=x', 'a=b', ' =1', "'=1", '1-2', 'x@y'])('%j is left alone', (value) => {
    expect(neutraliseCell(value)).toBe(value);
  });
});

describe('CSV rendering', () => {
  it('diff: one record per change and finding; every cell neutralised', async () => {
    const out = await smallDiff();
    const rows = parse(renderDiffCsv(out), { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => [r.kind, r.code, r.serial])).toEqual([
      ['issued', '', aSerial(3)],
      ['issued', '', aSerial(4)],
      ['revoked', '', aSerial(1)],
      ...out.findings.map((f) => ['finding', f.code, f.serial]),
    ]);
    expect(out.findings.map((f) => f.code)).toEqual(['CERTIFICATE_DISAPPEARED', 'INVALID_RECORD']);
    expect(rows[1]!.subject).toBe(`'=HYPERLINK("http://evil.example")`);
    expect(rows[0]!.subject).toBe('CN=a|b,O=Pipe Co');
    expect(rows[2]!.revocationReason).toBe('KEY_COMPROMISE');
    for (const r of rows) for (const v of Object.values(r)) expect(v).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('inspect: expiring rows and findings', async () => {
    const rows = parse(renderInspectCsv(await smallInspect()), { columns: true }) as Array<
      Record<string, string>
    >;
    expect(rows.map((r) => [r.kind, r.code, r.serial])).toEqual([
      ['expiring', '', aSerial(0)],
      ['finding', 'INVALID_RECORD', aSerial(0)],
      ['finding', 'REVOCATION_INCOMPLETE', aSerial(1)],
    ]);
    expect(rows[0]!.subject).toBe("'+CN=plus|pipe");
  });
});

describe('Markdown rendering', () => {
  it('mdCell escapes pipes, backslashes and markup, and flattens newlines', () => {
    expect(mdCell('a|b')).toBe('a\\|b');
    expect(mdCell('a\\|b')).toBe('a\\\\\\|b');
    expect(mdCell('*x* _y_ `z` [l](u) <b>')).toBe('\\*x\\* \\_y\\_ \\`z\\` \\[l\\](u) \\<b\\>');
    expect(mdCell('one\r\ntwo\nthree')).toBe('one two three');
  });

  it('diff: a pipe in a subject does not split its table row', async () => {
    const md = renderDiffMarkdown(await smallDiff());
    const issued = md.split('\n').find((l) => l.includes(aSerial(3)))!;
    expect(issued).toContain('CN=a\\|b,O=Pipe Co');
    // every row of a table has as many unescaped pipes as its header
    const cells = (line: string) => line.replace(/\\\\/g, '').replace(/\\\|/g, '').split('|').length;
    const lines = md.split('\n');
    for (let k = 0; k < lines.length; k++) {
      if (!lines[k]!.startsWith('| ---')) continue;
      const width = cells(lines[k - 1]!);
      for (let j = k + 1; j < lines.length && lines[j]!.startsWith('|'); j++)
        expect(cells(lines[j]!), lines[j]).toBe(width);
    }
    expect(md.endsWith('\n')).toBe(true);
    expect(md).toContain('### Issued (2)');
    expect(md).toContain('### Findings (2)');
  });

  it('inspect: a pipe in a subject is escaped', async () => {
    const md = renderInspectMarkdown(await smallInspect());
    expect(md).toContain('+CN=plus\\|pipe');
    expect(md).toContain('### Expiring soon (1)');
  });

  it('no findings: says none', async () => {
    const text = toJsonReport([aRecord({ serial: aSerial(0) })]);
    expect(renderDiffMarkdown(await diffOf(text, text, WINDOW))).toContain('### Findings\n\nNone.');
  });
});

describe('text rendering', () => {
  it('color false: no escape codes', async () => {
    const out = await smallDiff();
    const text = renderDiffText(out, { color: false });
    expect(text).not.toContain(ESC);
    expect(text).toContain(aSerial(3));
    expect(text).toContain('CERTIFICATE_DISAPPEARED');
    expect(text.endsWith('\n')).toBe(true);
    expect(renderInspectText(await smallInspect(), { color: false })).not.toContain(ESC);
  });

  it('color true: severities and headings are coloured', async () => {
    const text = renderDiffText(await smallDiff(), { color: true });
    expect(text).toContain(`${ESC}[31merror${ESC}[39m`);
    expect(text).toContain(`${ESC}[1m`);
    const inspect = renderInspectText(await smallInspect(), { color: true });
    expect(inspect).toContain(`${ESC}[33mwarning${ESC}[39m`);
  });

  it('colour codes take no width when aligning columns', () => {
    const style = { color: true };
    const lines = table([
      [paint(style, 'error', 'error'), 'x'],
      ['warning', 'y'],
    ]);
    const plain = lines.map((l) => l.replace(new RegExp(`${ESC}\\[\\d+m`, 'g'), ''));
    expect(plain).toEqual(['  error    x', '  warning  y']);
  });

  // BUG: src/core/render/text.ts (certRows) and render/markdown.ts write subjects from the report
  // as they are: a subject carrying terminal control sequences (JSON allows \u001b) reaches the
  // terminal raw even with color false, so a report can clear the screen, retitle the window or
  // forge output lines. Messages are safe (they JSON-quote values); the change tables are not.
  it('color false: no escape codes even when a subject carries them', async () => {
    const hostile = aRecord({ serial: aSerial(9), subject: `CN=evil${ESC}[2J${ESC}[31mfake error` });
    const text = renderDiffText(await smallDiff([hostile]), { color: false });
    expect(text).not.toContain(ESC);
  });
});

describe('JSON rendering', () => {
  it('is the output model, pretty-printed, with a final newline, and deterministic', async () => {
    const out = await smallDiff();
    const json = renderJson(out);
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(out)));
    expect(json.endsWith('}\n')).toBe(true);
    expect(json.split('\n')[1]).toBe('  "schemaVersion": 1,');
    expect(renderJson(await smallDiff())).toBe(json);
  });

  it('diff JSON carries the documented top-level shape', async () => {
    const parsed = JSON.parse(renderJson(await smallDiff())) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(
      expect.arrayContaining(['schemaVersion', 'old', 'new', 'window', 'changes', 'findings', 'summary']),
    );
    expect(parsed.summary).toEqual({
      issued: 2,
      revoked: 1,
      expired: 0,
      findings: { error: 2, warning: 0, info: 0 },
    });
  });
});

describe('issue 14 item 6: diff text and Markdown name the report of a single-report finding', () => {
  /** a revocation without its time in OLD (serial 5) and in NEW (serial 6): one finding from each report */
  async function incompleteInBoth(): Promise<DiffOutput> {
    const incomplete = (n: number) => aRecord({ serial: aSerial(n), revocationReason: 'SUPERSEDED' });
    const old = [aRecord({ serial: aSerial(0) }), incomplete(5)];
    const now = [...old, incomplete(6)];
    return diffOf(toJsonReport(old), toJsonReport(now), {
      ...WINDOW,
      oldSource: 'reports/a.json',
      newSource: 'reports/b.json',
    });
  }
  /** serial → the `where` each finding of code REVOCATION_INCOMPLETE should show, from the JSON evidence */
  function expected(out: DiffOutput): Map<string, string> {
    const m = new Map<string, string>();
    for (const f of out.findings.filter((x) => x.code === 'REVOCATION_INCOMPLETE')) {
      const row = f.evidence.row as { report: string; line: number };
      m.set(`${f.serial}|${row.report}`, `${row.report === 'reports/a.json' ? 'old' : 'new'}:${row.line}`);
    }
    return m;
  }

  it('issue 14 item 6: text WHERE says old:N / new:N, not line:N', async () => {
    const out = await incompleteInBoth();
    const want = [...expected(out).values()].sort();
    expect(want.some((w) => w.startsWith('old:')) && want.some((w) => w.startsWith('new:'))).toBe(true);
    const text = renderDiffText(out, { color: false });
    const got = text
      .split('\n')
      .filter((l) => l.includes('REVOCATION_INCOMPLETE'))
      .map((l) => /\s((?:old|new|line):\d+)\s/.exec(l)?.[1])
      .sort();
    expect(got).toEqual(want);
  });

  it('issue 14 item 6: Markdown findings carry a Where column with old:N / new:N', async () => {
    const out = await incompleteInBoth();
    const want = [...expected(out).values()].sort();
    const md = renderDiffMarkdown(out);
    const got = md
      .split('\n')
      .filter((l) => l.includes('REVOCATION\\_INCOMPLETE'))
      .map((l) => l.split(' | ')[3])
      .sort();
    expect(got).toEqual(want);
  });

  it('issue 14 item 6: inspect text still says line:N (one report)', async () => {
    const out = await inspectOf(
      toJsonReport([aRecord({ serial: aSerial(5), revocationReason: 'SUPERSEDED' })]),
      {
        at: epoch('2026-11-20T00:00:00Z'),
        expiringWithin: 0,
      },
    );
    expect(renderInspectText(out, { color: false })).toMatch(/REVOCATION_INCOMPLETE\s.*\sline:2\s/);
  });
});
