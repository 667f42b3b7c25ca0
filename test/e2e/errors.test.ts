import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { linesOf, ROOT, type RunResult, runCli, SAMPLE_CA, SAMPLES, WINDOW } from './cli.js';

/** Malformed reports built from the samples by test/fixtures/e2e/make-fixtures.mjs. */
const FIX = 'test/fixtures/e2e';
const fixture = (name: string) => `${FIX}/${name}`;

/**
 * A failure: exit code, nothing on stdout, and on stderr exactly one `pca-audit: ...` line,
 * optionally followed by one `hint: ...` line. Returns the message line.
 */
function expectFailure(r: RunResult, code = 2): string {
  expect(r.stdout, 'stdout must stay empty on failure').toBe('');
  const lines = linesOf(r.stderr);
  expect(lines.length, `stderr: ${JSON.stringify(r.stderr)}`).toBeGreaterThanOrEqual(1);
  expect(lines.length, `stderr: ${JSON.stringify(r.stderr)}`).toBeLessThanOrEqual(2);
  expect(lines[0]).toMatch(/^pca-audit: \S/);
  if (lines.length === 2) expect(lines[1]).toMatch(/^hint: \S/);
  expect(r.stderr.endsWith('\n')).toBe(true);
  expect(r.code).toBe(code);
  return lines[0]!;
}

/** The report's bytes as the scanners see them (gzip undone). */
function contentOf(file: string): Buffer {
  const raw = readFileSync(join(ROOT, file));
  return raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
}

/** "line N, byte M" in a message must agree with the file: byte M lies on line N. */
function expectPositionInFile(message: string, file: string): void {
  const m = /: line (\d+), byte (\d+): /.exec(message);
  expect(m, `${message} names a line and a byte`).not.toBeNull();
  const line = Number(m![1]);
  const byte = Number(m![2]);
  const bytes = contentOf(file);
  expect(byte).toBeLessThanOrEqual(bytes.length);
  let newlines = 0;
  for (let i = 0; i < byte; i++) if (bytes[i] === 0x0a) newlines++;
  expect(newlines + 1, `byte ${byte} of ${file} is on line ${line}`).toBe(line);
}

describe.concurrent('malformed reports: exit 2, one line naming the file, the line and the byte', () => {
  // [fixture, what the CLI must say after `reading report "<file>": `]
  const cases: Array<[string, string]> = [
    ['truncated-mid-record.json', 'line 4, byte 1227: unexpected end of input inside record 3 (truncated?)'],
    [
      'truncated-content.json.gz',
      'line 11, byte 5000: unexpected end of input inside record 10 (truncated?)',
    ],
    ['object-not-array.json', "line 1, byte 0: expected '[' to open the report's array, found '{'"],
    ['empty.json', 'line 1, byte 0: the report is empty'],
    [
      'wrong-header.csv',
      'line 1, byte 0: not an audit report header (missing serial): ' +
        "'awsAccountId,requestedByServicePrincipal,certificateArn,serialNumber,subject,notBefore,notAfter,issuedAt,revokedAt,revoc...'",
    ],
    ['broken-quoting.csv', "line 3, byte 748: 'I' after the closing quote of cell 5"],
    ['quote-in-unquoted-cell.csv', 'line 3, byte 529: a quote inside unquoted cell 1'],
    ['unterminated-quote.csv', 'line 3, byte 730: unterminated quoted cell (truncated?)'],
    // the broken-JSON shapes of the CloudTrail examples in the seed document
    ['seed-missing-comma.json', "line 20, byte 961: expected ',' or '}' in record 2, found '\"'"],
    ['seed-unquoted-value.json', "line 14, byte 560: unexpected 'a' in a value"],
    ['seed-raw-newline.json', 'line 17, byte 816: control character 0x0a inside a string'],
  ];

  it.each(cases)('inspect %s', async (name, what) => {
    const file = fixture(name);
    const r = await runCli(['inspect', file, '--at', '2026-11-20T02:00:00Z']);
    const message = expectFailure(r);
    expect(r.stderr).toBe(`pca-audit: reading report "${file}": ${what}\n`);
    expectPositionInFile(message, file);
  });

  // diff reads through the same code: one fixture of each kind is enough there
  const diffCases = cases.filter(([name]) =>
    [
      'truncated-mid-record.json',
      'truncated-content.json.gz',
      'broken-quoting.csv',
      'seed-raw-newline.json',
    ].includes(name),
  );
  it.each(diffCases)('diff with NEW = %s names NEW', async (name, what) => {
    const file = fixture(name);
    const r = await runCli(['diff', SAMPLES.old, file]);
    expectFailure(r);
    expect(r.stderr).toBe(`pca-audit: reading report "${file}": ${what}\n`);
  });

  it('diff with OLD malformed names OLD, not NEW', async () => {
    const file = fixture('seed-missing-comma.json');
    const r = await runCli(['diff', file, SAMPLES.new, '--format', 'json']);
    expectFailure(r);
    expect(r.stderr).toBe(
      `pca-audit: reading report "${file}": line 20, byte 961: expected ',' or '}' in record 2, found '"'\n`,
    );
  });

  it('a gzip stream cut mid-file: exit 2, named, and said to be truncated', async () => {
    const file = fixture('truncated.json.gz');
    for (const args of [
      ['inspect', file],
      ['diff', SAMPLES.old, file],
    ]) {
      const r = await runCli(args);
      expectFailure(r);
      expect(r.stderr).toBe(
        `pca-audit: reading report "${file}": gzip: unexpected end of file (truncated or corrupt download?)\n`,
      );
    }
  });

  // BUG: the "not an audit report header" message quotes the header cells raw: a line break inside
  // a quoted header cell splits the message over two lines, and an ESC sequence reaches the user's
  // terminal as is. Input: test/fixtures/e2e/control-chars-in-header.csv, whose header is
  // `"awsAccountId<LF>INJECTED",<ESC>[31mred<ESC>[0m,serial`.
  it('a header with control characters is quoted on one line, without them', async () => {
    const file = fixture('control-chars-in-header.csv');
    const r = await runCli(['inspect', file]);
    const message = expectFailure(r);
    expect(message).toContain(`reading report "${file}": line 1, byte 0: not an audit report header`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no control character may get through
    expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  });

  it('a missing file', async () => {
    const file = fixture('no-such-report.json');
    const r = await runCli(['inspect', file]);
    expectFailure(r);
    expect(r.stderr).toBe(`pca-audit: reading report "${file}": no such file\n`);
  });

  it('a directory', async () => {
    const r = await runCli(['diff', SAMPLES.old, FIX]);
    expectFailure(r);
    expect(r.stderr).toBe(`pca-audit: reading report "${FIX}": is a directory, not a report\n`);
  });
});

describe.concurrent('usage errors: exit 2, one line, a hint', () => {
  it('an unknown flag is named', async () => {
    const r = await runCli(['inspect', SAMPLES.new, '--frobnicate']);
    expect(expectFailure(r)).toBe('pca-audit: unknown option --frobnicate');
    expect(linesOf(r.stderr)[1]).toBe("hint: see 'pca-audit inspect --help'");
  });

  it('a mistyped flag is named, with the suggestion', async () => {
    const message = expectFailure(await runCli(['inspect', SAMPLES.new, '--expiring-withn', '3d']));
    expect(message).toBe('pca-audit: unknown option --expiring-withn (did you mean --expiring-within?)');
  });

  it("a flag of another command, or a command's flag before the command name", async () => {
    const [lenient, before] = await Promise.all([
      runCli(['inspect', SAMPLES.new, '--lenient']),
      runCli(['--format', 'json', 'inspect', SAMPLES.new]),
    ]);
    expect(expectFailure(lenient)).toBe('pca-audit: unknown option --lenient');
    expect(expectFailure(before)).toBe('pca-audit: unknown option --format');
    expect(linesOf(before.stderr)[1]).toBe('hint: write --format after the command name');
  });

  it.each([
    [['inspect', SAMPLES.new, SAMPLES.old], `unexpected argument "${SAMPLES.old}" (inspect takes <report>)`],
    [['diff', SAMPLES.old, SAMPLES.new, 'extra'], 'unexpected argument "extra" (diff takes <old> [new])'],
    [['events', '--cloudtrail', '-', '--', 'x'], 'unexpected argument "x" (events takes no arguments)'],
    [['inspect'], 'name the report to inspect (a file, or - for stdin)'],
    [['diff'], 'name the reports to compare: OLD and NEW (files, or one of them - for stdin)'],
    [['events'], 'name the CloudTrail records to read with --cloudtrail'],
    [['generate', '--ca', SAMPLE_CA], 'name the bucket the CA writes reports into with --bucket'],
    [['doctor'], 'name the CA with --ca ARN; name the bucket the CA writes reports into with --bucket'],
    [['bootstrap', '--bucket', 'my-bucket'], 'name each CA with --ca ARN'],
    [['inspect', SAMPLES.new, '--output'], '--output needs a value'],
    [['inspect', SAMPLES.new, '--output', '--force'], '--output needs a value, not the option --force'],
    [['inspect', SAMPLES.new, '-o', 'a', '--output', 'b'], '--output is given more than once'],
    [['inspect', SAMPLES.new, '--force=maybe'], '--force: "maybe" is not true or false'],
    [
      ['--retry-mode', 'fast', 'inspect', SAMPLES.new],
      '--retry-mode: "fast" is not one of standard, adaptive',
    ],
    [
      ['iam-policy', '--command', 'inspect'],
      '--command: "inspect" is not one of bootstrap, doctor, generate, run, events, diff',
    ],
  ])('%j', async (args, message) => {
    expect(expectFailure(await runCli(args))).toBe(`pca-audit: ${message}`);
  });

  it('an unknown command is named', async () => {
    const message = expectFailure(await runCli(['frobnicate', SAMPLES.new]));
    expect(message).toContain('frobnicate');
  });

  // The line says that "inspekt" is not a command, then suggests one (it once said only "Did you
  // mean inspect?"). Input: `pca-audit inspekt samples/ca-2026-11-20.json`, also after a global option.
  it.each([[['inspekt', SAMPLES.new]], [['--region', 'eu-west-1', 'inspekt', SAMPLES.new]]])(
    'a mistyped command is named, with the suggestion: %j',
    async (args) => {
      const r = await runCli(args);
      expect(expectFailure(r)).toBe('pca-audit: unknown command "inspekt" (did you mean inspect?)');
      expect(linesOf(r.stderr)[1]).toBe(
        'hint: the commands are: inspect, diff, events, generate, run, bootstrap, doctor, iam-policy',
      );
    },
  );

  it('no command', async () => {
    const r = await runCli([]);
    expect(expectFailure(r)).toBe(
      'pca-audit: name a command: inspect, diff, events, generate, run, bootstrap, doctor or iam-policy',
    );
  });

  it.each(['yesterday', '2026-02-30', '2026-11-20T24:00:00Z', '2026-11-20 02:00:00', ''])(
    'a bad --at value %j',
    async (value) => {
      const r = await runCli(['inspect', SAMPLES.new, '--at', value]);
      expectFailure(r);
      expect(r.stderr).toBe(
        `pca-audit: --at: ${JSON.stringify(value)} is not a UTC instant\nhint: write it like 2026-11-19T02:00:00Z\n`,
      );
    },
  );

  it.each(['30x', '1.5d', 'd', '-5d', '30 days'])('a bad --expiring-within %j', async (value) => {
    const r = await runCli(['inspect', SAMPLES.new, `--expiring-within=${value}`]);
    expectFailure(r);
    expect(r.stderr).toBe(
      `pca-audit: --expiring-within: ${JSON.stringify(value)} is not a duration\nhint: write it like 30d, 12h, 90m or 3600\n`,
    );
  });

  it.each([
    ['after', '2026-11-20T02:00:00Z', '2026-11-19T02:00:00Z'],
    ['equal to', '2026-11-20T02:00:00Z', '2026-11-20T02:00:00Z'],
  ])('--old-created-at %s --new-created-at', async (_how, oldAt, newAt) => {
    const r = await runCli([
      'diff',
      SAMPLES.old,
      SAMPLES.new,
      '--old-created-at',
      oldAt,
      '--new-created-at',
      newAt,
    ]);
    expect(expectFailure(r)).toBe('pca-audit: --old-created-at must be before --new-created-at');
  });

  // `diff - -` reaches the command's own check (a `-` once reached it as '', and the CLI said
  // `reading report "": no such file`). Input: `pca-audit diff - -`.
  it('OLD and NEW both - (standard input)', async () => {
    const r = await runCli(['diff', '-', '-'], { stdin: readFileSync(join(ROOT, SAMPLES.new)) });
    expect(expectFailure(r)).toBe('pca-audit: only one of OLD and NEW can be standard input (-)');
  });

  it('reports of two different CAs: exit 2, both named, and a hint to --ca', async () => {
    const other = fixture('other-ca.json');
    const r = await runCli(['diff', SAMPLES.old, other, ...WINDOW]);
    const message = expectFailure(r);
    expect(message).toBe(
      `pca-audit: the reports are of different CAs: "${SAMPLES.old}" of ${SAMPLE_CA}, "${other}" of ` +
        'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
    );
    expect(linesOf(r.stderr)[1]).toMatch(/^hint: .*--ca/);
  });

  // One line naming the flag, the value and the choices (it was once a two-line "Invalid values:\n
  // Argument: ..."). Input: `pca-audit inspect samples/ca-2026-11-20.json --format yaml`.
  it('a bad --format value is one line naming the flag, the value and the choices', async () => {
    const r = await runCli(['inspect', SAMPLES.new, '--format', 'yaml']);
    expect(expectFailure(r)).toBe('pca-audit: --format: "yaml" is not one of text, json, csv, markdown');
    expect(linesOf(r.stderr)[1]).toBe("hint: see 'pca-audit inspect --help'");
  });

  // Values reach the commands as written, never parsed as numbers first (a non-number was once
  // reported as "NaN"). Input: `pca-audit inspect samples/ca-2026-11-20.json --max-findings abc`.
  it.each(['abc', '1e3', '0x10', '-5'])(
    'a bad --max-findings value %j is quoted as written',
    async (value) => {
      const message = expectFailure(await runCli(['inspect', SAMPLES.new, `--max-findings=${value}`]));
      expect(message).toBe(`pca-audit: --max-findings: "${value}" is not a whole number`);
    },
  );
});

describe.concurrent('--output onto an existing file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pca-audit-e2e-output-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const args = ['diff', SAMPLES.old, SAMPLES.new, ...WINDOW, '--format', 'json'];

  it('without --force: exit 2, a hint to --force, and the file unchanged', async () => {
    const out = join(dir, 'kept.json');
    writeFileSync(out, 'precious\n');
    const before = statSync(out);
    const r = await runCli([...args, '--output', out]);
    expectFailure(r);
    expect(r.stderr).toBe(`pca-audit: --output: "${out}" exists\nhint: pass --force to replace it\n`);
    expect(readFileSync(out, 'utf8')).toBe('precious\n');
    expect(statSync(out).mtimeMs).toBe(before.mtimeMs);
  });

  it('with --force: replaced by exactly what stdout would carry', async () => {
    const out = join(dir, 'replaced.json');
    // longer than the output: a replacement must truncate, not overwrite in place
    copyFileSync(join(ROOT, SAMPLES.new), out);
    writeFileSync(out, Buffer.alloc(64 * 1024, 0x41), { flag: 'a' });
    const [toFile, toStdout] = await Promise.all([
      runCli([...args, '--output', out, '--force']),
      runCli(args),
    ]);
    expect(toFile.stdout).toBe('');
    expect(toFile.stderr).toBe('');
    expect(toFile.code).toBe(1); // the findings still decide the exit code
    expect(readFileSync(out).equals(toStdout.stdoutBytes)).toBe(true);
  });
});
