import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linesOf, ROOT, type RunResult, runCli, runCommand, SAMPLES, WINDOW } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'pca-audit-e2e-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sample = (name: string) => readFileSync(join(ROOT, name));
const tmp = (name: string, content: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

const DIFF = ['diff', SAMPLES.old, SAMPLES.new, ...WINDOW];
const INSPECT_AT = ['--at', '2026-11-20T02:00:00Z'];
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for escape sequences is the point
const ANSI = /\u001b\[/;

interface Row {
  report: string;
  line: number;
  byte: number;
}

/** Every {report, line, byte} evidence row of a JSON output, in order. */
function evidenceRows(out: { findings: Array<{ evidence: Record<string, unknown> }> }): Row[] {
  return out.findings.flatMap((f) =>
    Object.values(f.evidence).filter(
      (v): v is Row => typeof v === 'object' && v !== null && typeof (v as Row).byte === 'number',
    ),
  );
}

/** The JSON text with one report name put for another (in `source` and evidence `report`). */
function renamed(json: string, from: string, to: string): string {
  return json.replaceAll(JSON.stringify(from), JSON.stringify(to));
}

function expectOk(r: RunResult, code: number): void {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(code);
}

/** A CSV cell as AWS writes it: quoted when it holds a comma, a quote or a line break. */
function csvCell(v: string | undefined): string {
  if (v === undefined) return '';
  return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** The 9-column CSV layout of reports made before March 2020 (no requestedBy..., no templateArn). */
const NINE_COLUMNS = [
  'awsAccountId',
  'certificateArn',
  'serial',
  'subject',
  'notBefore',
  'notAfter',
  'issuedAt',
  'revokedAt',
  'revocationReason',
];

function nineColumnCsv(jsonReport: string): string {
  const rows = JSON.parse(readFileSync(join(ROOT, jsonReport), 'utf8')) as Array<Record<string, string>>;
  return [NINE_COLUMNS.join(','), ...rows.map((r) => NINE_COLUMNS.map((c) => csvCell(r[c])).join(','))]
    .map((l) => `${l}\r\n`)
    .join('');
}

describe.concurrent('gzip input, told by content', () => {
  let plainInspect: RunResult;
  let plainDiff: RunResult;
  beforeAll(async () => {
    [plainInspect, plainDiff] = await Promise.all([
      runCli(['inspect', SAMPLES.new, ...INSPECT_AT, '--format', 'json']),
      runCli([...DIFF, '--format', 'json']),
    ]);
  });

  it.each([
    ['named .json.gz', 'new.json.gz'],
    ['named .json', 'new-gzipped.json'],
    ['with no extension', 'new-report'],
  ])('inspect of a gzipped JSON report %s gives the output of the plain one', async (_how, name) => {
    const file = tmp(name, gzipSync(sample(SAMPLES.new)));
    const r = await runCli(['inspect', file, ...INSPECT_AT, '--format', 'json']);
    expectOk(r, 1);
    expect(JSON.parse(r.stdout).report.format).toBe('json');
    // byte offsets are of the decompressed report: the same as the plain file's
    expect(r.stdout).toBe(renamed(plainInspect.stdout, SAMPLES.new, file));
  });

  it('diff of two gzipped reports (JSON and CSV) gives the output of the plain ones', async () => {
    const oldGz = tmp('old.json.gz', gzipSync(sample(SAMPLES.old)));
    const newGz = tmp('new.json.gz', gzipSync(sample(SAMPLES.new)));
    const r = await runCli(['diff', oldGz, newGz, ...WINDOW, '--format', 'json']);
    expectOk(r, 1);
    expect(r.stdout).toBe(renamed(renamed(plainDiff.stdout, SAMPLES.old, oldGz), SAMPLES.new, newGz));

    const csvGz = tmp('new.csv.gz', gzipSync(sample(SAMPLES.newCsv)));
    const [fromCsv, fromCsvGz] = await Promise.all([
      runCli(['diff', SAMPLES.old, SAMPLES.newCsv, ...WINDOW, '--format', 'json']),
      runCli(['diff', SAMPLES.old, csvGz, ...WINDOW, '--format', 'json']),
    ]);
    expectOk(fromCsvGz, 1);
    expect(JSON.parse(fromCsvGz.stdout).new.format).toBe('csv');
    expect(fromCsvGz.stdout).toBe(renamed(fromCsv.stdout, SAMPLES.newCsv, csvGz));
  });
});

describe.concurrent('standard input (-)', () => {
  // `-` is a positional like any other (it once reached the command as '', and the CLI said
  // `reading report "": no such file`). Input: `pca-audit inspect - < samples/ca-2026-11-20.json`.
  it('inspect - reads the report from stdin', async () => {
    const [fromStdin, fromFile] = await Promise.all([
      runCli(['inspect', '-', ...INSPECT_AT, '--format', 'json'], { stdin: sample(SAMPLES.new) }),
      runCli(['inspect', SAMPLES.new, ...INSPECT_AT, '--format', 'json']),
    ]);
    expectOk(fromStdin, 1);
    expect(fromStdin.stdout).toBe(renamed(fromFile.stdout, SAMPLES.new, '-'));
  });

  // As above; here NEW is a gzipped CSV on stdin. Input:
  // `gzip -c samples/ca-2026-11-20.csv | pca-audit diff samples/ca-2026-11-19.json - --format json`.
  it('diff OLD - reads NEW from stdin, gzip and CSV told by content', async () => {
    const [fromStdin, fromFile] = await Promise.all([
      runCli(['diff', SAMPLES.old, '-', ...WINDOW, '--format', 'json'], {
        stdin: gzipSync(sample(SAMPLES.newCsv)),
      }),
      runCli(['diff', SAMPLES.old, SAMPLES.newCsv, ...WINDOW, '--format', 'json']),
    ]);
    expectOk(fromStdin, 1);
    expect(fromStdin.stdout).toBe(renamed(fromFile.stdout, SAMPLES.newCsv, '-'));
  });
});

describe.concurrent('a byte order mark and CRLF line ends', () => {
  it('JSON: same counts and findings; evidence bytes moved by the BOM and one CR a line', async () => {
    const text = sample(SAMPLES.new).toString('utf8');
    const file = tmp('bom-crlf.json', `\ufeff${text.replaceAll('\n', '\r\n')}`);
    const [plain, bom] = await Promise.all([
      runCli(['inspect', SAMPLES.new, ...INSPECT_AT, '--format', 'json']),
      runCli(['inspect', file, ...INSPECT_AT, '--format', 'json']),
    ]);
    expectOk(bom, 1);
    const a = JSON.parse(plain.stdout);
    const b = JSON.parse(bom.stdout);
    expect(b.summary).toEqual(a.summary);
    expect(b.expiringSoon).toEqual(a.expiringSoon);
    const rowsA = evidenceRows(a);
    const rowsB = evidenceRows(b);
    expect(rowsB.map((r) => r.line)).toEqual(rowsA.map((r) => r.line));
    expect(rowsB.map((r) => r.byte)).toEqual(rowsA.map((r) => r.byte + 3 + (r.line - 1)));
    // and apart from the positions, the findings are the same (fields as written, no CR in them)
    const strip = (o: { findings: unknown[] }) =>
      JSON.parse(JSON.stringify(o.findings, (k, v) => (k === 'byte' || k === 'report' ? undefined : v)));
    expect(strip(b)).toEqual(strip(a));
  });

  it('CSV (already CRLF) with a BOM: the header is still found', async () => {
    const file = tmp('bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), sample(SAMPLES.newCsv)]));
    const [plain, bom] = await Promise.all([
      runCli(['diff', SAMPLES.old, SAMPLES.newCsv, ...WINDOW, '--format', 'json']),
      runCli(['diff', SAMPLES.old, file, ...WINDOW, '--format', 'json']),
    ]);
    expectOk(bom, 1);
    const a = JSON.parse(plain.stdout);
    const b = JSON.parse(bom.stdout);
    expect(b.new.summary).toEqual(a.new.summary);
    expect(b.changes).toEqual(a.changes);
    expect(b.summary).toEqual(a.summary);
    expect(
      evidenceRows(b)
        .filter((r) => r.report === file)
        .map((r) => r.byte),
    ).toEqual(
      evidenceRows(a)
        .filter((r) => r.report === SAMPLES.newCsv)
        .map((r) => r.byte + 3),
    );
  });
});

describe.concurrent('a 9-column CSV (before March 2020) against the 11-column JSON', () => {
  let jsonDiff: { changes: unknown; findings: Array<{ code: string; serial?: string }>; summary: unknown };
  beforeAll(async () => {
    jsonDiff = JSON.parse((await runCli([...DIFF, '--format', 'json'])).stdout);
  });
  const codes = (out: { findings: Array<{ code: string; serial?: string }> }) =>
    out.findings.map((f) => [f.code, f.serial]);

  it('OLD as 9-column CSV: the same changes and findings, nothing from the missing columns', async () => {
    const old9 = tmp('old-9col.csv', nineColumnCsv(SAMPLES.old));
    const r = await runCli(['diff', old9, SAMPLES.new, ...WINDOW, '--format', 'json']);
    expectOk(r, 1);
    const out = JSON.parse(r.stdout);
    expect(out.old.format).toBe('csv');
    expect(out.old.summary).toMatchObject({ certificates: 52, active: 29, expired: 17, revoked: 6 });
    expect(out.old.summary.byTemplate).toEqual({});
    expect(codes(out)).toEqual(codes(jsonDiff));
    expect(out.changes).toEqual(jsonDiff.changes);
    expect(out.summary).toEqual(jsonDiff.summary);
  });

  it('NEW as 9-column CSV: the same findings; changes lack only the columns it has not', async () => {
    const new9 = tmp('new-9col.csv', nineColumnCsv(SAMPLES.new));
    const r = await runCli(['diff', SAMPLES.old, new9, ...WINDOW, '--format', 'json']);
    expectOk(r, 1);
    const out = JSON.parse(r.stdout);
    expect(out.new.summary).toMatchObject({ certificates: 56, active: 28, expired: 19, revoked: 9 });
    expect(codes(out)).toEqual(codes(jsonDiff));
    expect(out.summary).toEqual(jsonDiff.summary);
    const withoutExtended = JSON.parse(
      JSON.stringify(jsonDiff.changes, (k, v) =>
        k === 'templateArn' || k === 'requestedByServicePrincipal' ? undefined : v,
      ),
    );
    expect(out.changes).toEqual(withoutExtended);
  });
});

describe.concurrent('exit codes with --fail-on', () => {
  // the sample diff has errors and warnings; the inspect of the newer sample one warning
  it.each([
    ['error', 1, 0],
    ['warning', 1, 1],
    ['info', 1, 1],
    ['never', 0, 0],
  ])('--fail-on %s: diff exits %i, inspect exits %i', async (level, diffCode, inspectCode) => {
    const [d, i] = await Promise.all([
      runCli([...DIFF, '--format', 'json', '--fail-on', level]),
      runCli(['inspect', SAMPLES.new, ...INSPECT_AT, '--format', 'json', '--fail-on', level]),
    ]);
    expectOk(d, diffCode);
    expectOk(i, inspectCode);
    expect(JSON.parse(d.stdout).summary.findings).toEqual({ error: 4, warning: 2, info: 0 });
  });

  it('the default is warning', async () => {
    const i = await runCli(['inspect', SAMPLES.new, ...INSPECT_AT]);
    expectOk(i, 1);
    // as of 2026-11-19 the older sample has no problem of its own
    const o = await runCli(['inspect', SAMPLES.old, '--at', '2026-11-19T02:00:00Z']);
    expectOk(o, 0);
  });
});

describe.concurrent('colour', () => {
  it.each([{}, { NO_COLOR: '1' }, { TERM: 'xterm-256color', FORCE_COLOR: '1' }])(
    'output to a pipe has no escape codes (env %j)',
    async (env) => {
      const r = await runCli([...DIFF], { env });
      expectOk(r, 1);
      expect(r.stdout).toContain('Findings (6)');
      expect(r.stdout).not.toMatch(ANSI);
    },
  );

  // `script` (util-linux) runs the CLI on a pseudo-terminal; without it the TTY cases cannot run
  const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).stdout?.includes('util-linux');
  const onTty = (args: string[], env: Record<string, string> = {}) => {
    const quoted = [process.execPath, 'bin/pca-audit.js', ...args].map(
      (a) => `'${a.replaceAll("'", "'\\''")}'`,
    );
    return runCommand('script', ['-qec', quoted.join(' '), '/dev/null'], { env });
  };

  it.skipIf(!hasScript)('on a terminal text is coloured, unless NO_COLOR is set', async () => {
    const [plain, noColor, emptyNoColor, json] = await Promise.all([
      onTty(DIFF),
      onTty(DIFF, { NO_COLOR: '1' }),
      onTty(DIFF, { NO_COLOR: '' }),
      onTty([...DIFF, '--format', 'json']),
    ]);
    expect(plain.code).toBe(1);
    expect(plain.stdout, 'the control case: a TTY gets colour').toMatch(ANSI);
    expect(noColor.code).toBe(1);
    expect(noColor.stdout).toContain('Findings (6)');
    expect(noColor.stdout).not.toMatch(ANSI);
    // https://no-color.org: an empty NO_COLOR does not count
    expect(emptyNoColor.stdout).toMatch(ANSI);
    expect(json.stdout).not.toMatch(ANSI);
  });

  it.skipIf(!hasScript)('on a terminal, --output FILE gets no colour', async () => {
    const out = join(dir, 'tty-output.txt');
    const r = await onTty([...DIFF, '--output', out]);
    expect(r.code).toBe(1);
    expect(readFileSync(out, 'utf8')).not.toMatch(ANSI);
  });
});

describe.concurrent('hostile text in a report', () => {
  // a subject carrying ESC [2J (clear screen), OSC 0 ; pwned BEL (set the terminal's title)
  const file = 'test/fixtures/e2e/escape-in-subject.json';
  const args = ['inspect', file, '--at', '2034-09-01T00:00:00Z', '--fail-on', 'never'];
  // biome-ignore lint/suspicious/noControlCharactersInRegex: no control character may get through
  const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f]/;

  it('JSON escapes the control characters', async () => {
    const r = await runCli([...args, '--format', 'json']);
    expectOk(r, 0);
    expect(r.stdout).not.toMatch(CONTROL);
    expect(JSON.parse(r.stdout).expiringSoon[0].subject).toBe(
      'CN=evil\u001b[2J\u001b]0;pwned\u0007,O=Example Corp,C=IE',
    );
  });

  // BUG: the text and Markdown renderers print a report's subject (and messages quoting it) as is,
  // so a report can clear the reader's terminal or retitle it: the CSV renderer guards against
  // formula injection, nothing guards against escape sequences. Input: `pca-audit inspect
  // test/fixtures/e2e/escape-in-subject.json --at 2034-09-01T00:00:00Z` (the expiring-soon table).
  it('text and Markdown never carry the control characters to the terminal', async () => {
    const [text, markdown] = await Promise.all([
      runCli([...args, '--format', 'text']),
      runCli([...args, '--format', 'markdown']),
    ]);
    expectOk(text, 0);
    expectOk(markdown, 0);
    expect(text.stdout).toContain('CN=evil');
    expect(text.stdout).not.toMatch(CONTROL);
    expect(markdown.stdout).not.toMatch(CONTROL);
  });
});

describe.concurrent('--output FILE', () => {
  // `-` is an option's value like any other (it was once refused: "Unknown argument: -").
  // Input: `pca-audit inspect samples/ca-2026-11-20.json --output -`, and the same with `-o -`, `--output=-`.
  it.each([[['--output', '-']], [['-o', '-']], [['--output=-']]])('%j is stdout', async (flag) => {
    const args = ['inspect', SAMPLES.new, ...INSPECT_AT, '--format', 'json'];
    const [plain, dash] = await Promise.all([runCli(args), runCli([...args, ...flag])]);
    expectOk(dash, 1);
    expect(dash.stdout).toBe(plain.stdout);
  });

  it.each([
    ['diff', 'text'],
    ['diff', 'json'],
    ['diff', 'csv'],
    ['diff', 'markdown'],
    ['inspect', 'text'],
    ['inspect', 'json'],
    ['inspect', 'csv'],
    ['inspect', 'markdown'],
  ])('%s --format %s writes the bytes stdout gets', async (command, format) => {
    const args =
      command === 'diff'
        ? [...DIFF, '--format', format]
        : ['inspect', SAMPLES.new, ...INSPECT_AT, '--format', format];
    const out = join(dir, `output-${command}.${format}`);
    const [toStdout, toFile] = await Promise.all([runCli(args), runCli([...args, '--output', out])]);
    expectOk(toStdout, 1);
    expectOk(toFile, 1);
    expect(toFile.stdout).toBe('');
    expect(toStdout.stdoutBytes.length).toBeGreaterThan(0);
    expect(readFileSync(out).equals(toStdout.stdoutBytes)).toBe(true);
  });
});

describe.concurrent('a report larger than one read chunk (1 MiB)', () => {
  // 100 copies of the newer sample, each with its own serials (ARNs kept in step): 2.4-3.1 MB, so
  // rows straddle the reader's 1 MiB chunks (JSON) and CRLF pairs may too (CSV)
  const COPIES = 100;
  const rows = JSON.parse(sample(SAMPLES.new).toString('utf8')) as Array<Record<string, string>>;
  const big: Array<Record<string, string>> = [];
  for (let k = 0; k < COPIES; k++) {
    for (const r of rows) {
      const hex = r.serial!.replaceAll(':', '');
      // a 16-octet serial of copy k: first octet 0x10..0x73, never a leading zero or a sign bit
      const mine = (k + 16).toString(16).padStart(2, '0') + hex.slice(2).padStart(30, '0');
      big.push({
        ...r,
        serial: mine.match(/../g)!.join(':'),
        certificateArn: r.certificateArn!.replace(/[0-9a-f]+$/, mine),
      });
    }
  }
  const COLUMNS = [
    'awsAccountId',
    'requestedByServicePrincipal',
    'certificateArn',
    'serial',
    'subject',
    'notBefore',
    'notAfter',
    'issuedAt',
    'revokedAt',
    'revocationReason',
    'templateArn',
  ];

  it.each(['json', 'csv'])('%s: counts, findings and evidence rows are exact', async (format) => {
    const text =
      format === 'json'
        ? `[\n${big.map((r) => JSON.stringify(r)).join(',\n')}\n]\n`
        : [COLUMNS.join(','), ...big.map((r) => COLUMNS.map((c) => csvCell(r[c])).join(','))]
            .map((l) => `${l}\r\n`)
            .join('');
    expect(text.length).toBeGreaterThan(2 * 1024 * 1024);
    const file = tmp(`big.${format}`, text);
    const r = await runCli(['inspect', file, ...INSPECT_AT, '--format', 'json']);
    expectOk(r, 1);
    const out = JSON.parse(r.stdout);
    expect(out.report.format).toBe(format);
    expect(out.summary).toMatchObject({
      certificates: 56 * COPIES,
      active: 28 * COPIES,
      expired: 19 * COPIES,
      revoked: 9 * COPIES,
      expiringSoon: COPIES,
    });
    // one REVOCATION_INCOMPLETE a copy, each quoting its own row: line 46 of the sample in copy k
    expect(out.findings).toHaveLength(COPIES);
    const bytes = Buffer.from(text);
    out.findings.forEach(
      (f: { code: string; serial: string; evidence: { row: Row & { fields: object } } }) => {
        expect(f.code).toBe('REVOCATION_INCOMPLETE');
        const { line, byte, fields } = f.evidence.row;
        expect((line - 2) % 56).toBe(44);
        const k = Math.floor((line - 2) / 56);
        expect(fields).toEqual(big[line - 2]);
        expect(f.serial.slice(0, 2)).toBe((k + 16).toString(16));
        let newlines = 0;
        for (let i = 0; i < byte; i++) if (bytes[i] === 0x0a) newlines++;
        expect(newlines + 1).toBe(line);
        expect(bytes[byte - 1]).toBe(0x0a);
      },
    );
  });
});

describe.concurrent('--help', () => {
  it.each([
    [['--help']],
    [['-h']],
    [['inspect', '--help']],
    [['diff', '-h']],
    [['help']],
    [['help', 'diff']],
  ])('%j exits 0 and lists the exit codes', async (args) => {
    const r = await runCli(args);
    expectOk(r, 0);
    const text = r.stdout;
    expect(text).toMatch(/exit codes/i);
    for (const code of [0, 1, 2, 3, 4]) expect(text).toMatch(new RegExp(`^\\s+${code}\\s+\\S`, 'm'));
    expect(linesOf(text).length).toBeGreaterThan(5);
  });

  it('the program: every command, the global options', async () => {
    const r = await runCli(['--help']);
    expectOk(r, 0);
    for (const c of [
      'inspect <report>',
      'diff <old> [new]',
      'events',
      'generate',
      'run',
      'bootstrap',
      'doctor',
      'iam-policy',
    ]) {
      expect(r.stdout).toMatch(new RegExp(`^  pca-audit ${c.replace(/[[\]]/g, '\\$&')}  +\\S`, 'm'));
    }
    for (const o of [
      '--region',
      '--profile',
      '--endpoint-url',
      '--retry-mode',
      '--max-attempts',
      '--help',
      '--version',
    ]) {
      expect(r.stdout).toContain(o);
    }
  });

  it.each([
    [
      'inspect',
      ['<report>', '--at', '--expiring-within', '--format', '-o, --output', '--max-findings', '--ca'],
    ],
    [
      'diff',
      ['<old> [new]', '--latest', '--cloudtrail', '--crl', '--propagation-allowance', '--time-tolerance'],
    ],
    ['events', ['--cloudtrail', '--since', '--until', '--lenient', '-o, --output']],
    ['generate', ['--bucket', '--out', '--timeout', '--poll-interval', '--wait-for-slot', '--json']],
    ['run', ['--config', '--all', '--state-dir', '--notify-command', '--keep-reports', '--dry-run']],
    ['bootstrap', ['--bucket', '--ca', '--create', '--dry-run']],
    ['doctor', ['--ca', '--bucket', '--max-report-age']],
    ['iam-policy', ['--command', '--bucket', '--ca']],
  ])('%s --help: its usage line first, its options, the global ones', async (command, shown) => {
    const r = await runCli([command, '--help']);
    expectOk(r, 0);
    expect(linesOf(r.stdout)[0]).toMatch(new RegExp(`^pca-audit ${command}\\b.*\\[options\\]$`));
    for (const s of shown) expect(r.stdout).toContain(s);
    expect(r.stdout).toMatch(/^Global options:$/m);
    expect(r.stdout).toContain('--region');
  });
});

describe.concurrent('--version', () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

  it.each([[['--version']], [['diff', '--version']]])(
    '%j prints the version of package.json',
    async (args) => {
      const r = await runCli(args);
      expectOk(r, 0);
      expect(r.stdout).toBe(`${version}\n`);
    },
  );
});

describe.concurrent('the command line', () => {
  it('global options before or after the command name', async () => {
    const [plain, before, after] = await Promise.all([
      runCli([...DIFF, '--format', 'json']),
      runCli(['--retry-mode', 'adaptive', '--max-attempts', '3', ...DIFF, '--format', 'json']),
      runCli([...DIFF, '--format', 'json', '--retry-mode=adaptive', '--max-attempts=3']),
    ]);
    expectOk(before, 1);
    expectOk(after, 1);
    expect(before.stdout).toBe(plain.stdout);
    expect(after.stdout).toBe(plain.stdout);
  });

  it('--cloudtrail takes every value up to the next option, or repeats', async () => {
    const both = ['samples/cloudtrail', '-'];
    const [greedy, repeated] = await Promise.all([
      runCli([...DIFF, '--cloudtrail', ...both, '--format', 'json'], { stdin: '' }),
      runCli([...DIFF, '--cloudtrail', both[0]!, '--format', 'json', '--cloudtrail', both[1]!], {
        stdin: '',
      }),
    ]);
    expectOk(greedy, 1);
    expectOk(repeated, 1);
    expect(JSON.parse(greedy.stdout).reconciliation.sources).toEqual(both);
    expect(repeated.stdout).toBe(greedy.stdout);
  });

  it('--no-force is --force=false; --force=true is --force', async () => {
    const args = ['inspect', SAMPLES.new, ...INSPECT_AT, '--format', 'json'];
    const [plain, no, yes] = await Promise.all([
      runCli(args),
      runCli([...args, '--no-force']),
      runCli([...args, '--force=true']),
    ]);
    expectOk(no, 1);
    expectOk(yes, 1);
    expect(no.stdout).toBe(plain.stdout);
    expect(yes.stdout).toBe(plain.stdout);
  });
});
