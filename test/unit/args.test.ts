import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type CommandSpec,
  editDistance,
  type Options,
  type ParseResult,
  type ProgramSpec,
  parseCommandLine,
  type RawValues,
  renderHelp,
  type Values,
  wrap,
} from '../../src/cli/args.js';
import { PROGRAM } from '../../src/cli/main.js';
import { UsageError } from '../../src/core/errors.js';

/** A small program exercising every kind of option; the real table is tested below it. */
const GLOBAL = {
  region: { type: 'string', describe: 'the Region' },
  mode: { type: 'string', choices: ['slow', 'fast'], default: 'slow', describe: 'how' },
} as const satisfies Options;

const COPY = {
  name: 'copy',
  describe: 'copy SRC to DEST',
  positionals: [
    { name: 'src', describe: 'from (- for stdin)', required: 'name what to copy' },
    { name: 'dest', describe: 'to' },
  ],
  options: {
    output: { type: 'string', short: 'o', describe: 'write here' },
    format: { type: 'string', choices: ['text', 'json', 'csv'], default: 'text', describe: 'format' },
    tag: { type: 'string', multiple: true, describe: 'a tag' },
    force: { type: 'boolean', default: false, describe: 'overwrite' },
    all: { type: 'boolean', describe: 'everything' },
    limit: { type: 'string', default: '10', describe: 'at most' },
  },
  examples: [['$0 copy a b', 'a to b']],
  epilogue: 'Exit codes: 0 ok',
} as const satisfies CommandSpec;

const PUSH = {
  name: 'push',
  describe: 'push',
  positionals: [],
  options: {
    bucket: { type: 'string', required: 'name the bucket with --bucket', describe: 'the bucket' },
    ca: { type: 'string', multiple: true, required: 'name each CA with --ca ARN', describe: 'a CA' },
  },
  examples: [],
} as const satisfies CommandSpec;

const TOY: ProgramSpec = {
  name: 'toy',
  describe: 'A toy.',
  options: GLOBAL,
  commands: [COPY, PUSH],
  epilogue: 'Exit codes: 0 ok',
  noCommand: 'name a command: copy or push',
};

function parse(...args: string[]): ParseResult<CommandSpec> {
  return parseCommandLine(TOY, args);
}

function values(...args: string[]): RawValues {
  const r = parse(...args);
  if (r.kind !== 'command') throw new Error(`expected a command, got ${r.kind}`);
  return r.values;
}

/** The UsageError parsing throws: its message and hint. */
function failure(...args: string[]): { message: string; hint: string | undefined } {
  try {
    parse(...args);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    const e = err as UsageError;
    expect(e.message).not.toContain('\n');
    return { message: e.message, hint: e.hint };
  }
  throw new Error(`${JSON.stringify(args)} parsed`);
}

describe('parseCommandLine: values', () => {
  it('positionals by name, defaults filled in, unset options undefined', () => {
    expect(values('copy', 'a')).toEqual({
      region: undefined,
      mode: 'slow',
      output: undefined,
      format: 'text',
      tag: undefined,
      force: false,
      all: undefined,
      limit: '10',
      src: 'a',
      dest: undefined,
    });
  });

  it('every value stays the string written (no number parsing)', () => {
    const v = values('copy', '0010', '1e3', '--limit', '007', '--region', '12');
    expect(v).toMatchObject({ src: '0010', dest: '1e3', limit: '007', region: '12' });
  });

  it('--opt=value, -o value, -ovalue, and an empty value', () => {
    expect(values('copy', 'a', '--output=x=y').output).toBe('x=y');
    expect(values('copy', 'a', '-o', 'out').output).toBe('out');
    expect(values('copy', 'a', '-oout').output).toBe('out');
    expect(values('copy', 'a', '--output=').output).toBe('');
    expect(values('copy', 'a', '--output', '').output).toBe('');
  });

  it('- is a value: as a positional and as an option value', () => {
    expect(values('copy', '-', '-')).toMatchObject({ src: '-', dest: '-' });
    expect(values('copy', 'a', '--output', '-').output).toBe('-');
    expect(values('copy', 'a', '-o', '-').output).toBe('-');
    expect(values('copy', '-', '--tag', '-', '--force')).toMatchObject({ src: '-', tag: ['-'], force: true });
  });

  it('--opt=-value takes a value that starts with a dash', () => {
    expect(values('copy', 'a', '--output=--force').output).toBe('--force');
  });

  it('-- ends the options: what follows is positional, even --flags', () => {
    expect(values('copy', '--', '--force', '-o')).toMatchObject({ src: '--force', dest: '-o', force: false });
    expect(values('copy', 'a', '--force', '--', '-')).toMatchObject({ src: 'a', dest: '-', force: true });
  });

  it('booleans: --flag, --no-flag, --flag=true|false; the last one wins', () => {
    expect(values('copy', 'a', '--force').force).toBe(true);
    expect(values('copy', 'a', '--no-force').force).toBe(false);
    expect(values('copy', 'a', '--force=false').force).toBe(false);
    expect(values('copy', 'a', '--force=true').force).toBe(true);
    expect(values('copy', 'a', '--force', '--no-force').force).toBe(false);
    expect(values('copy', 'a').all).toBeUndefined();
    expect(values('copy', 'a', '--no-all').all).toBe(false);
  });

  it('a list option: repeated, greedy up to the next option or --, one value with =', () => {
    expect(values('copy', 'a', '--tag', 'x', '--tag', 'y').tag).toEqual(['x', 'y']);
    expect(values('copy', 'a', '--tag', 'x', 'y', '-', '--force')).toMatchObject({
      tag: ['x', 'y', '-'],
      force: true,
    });
    expect(values('copy', 'a', '--tag', 'x', '--', 'b')).toMatchObject({ tag: ['x'], dest: 'b' });
    expect(values('copy', '--tag=x', 'a', 'b')).toMatchObject({ tag: ['x'], src: 'a', dest: 'b' });
  });

  it('global options before and after the command name', () => {
    expect(values('--region', 'r1', '--mode', 'fast', 'copy', 'a')).toMatchObject({
      region: 'r1',
      mode: 'fast',
    });
    expect(values('copy', 'a', '--region=r1', '--mode', 'fast')).toMatchObject({
      region: 'r1',
      mode: 'fast',
    });
    // a global option's value is never taken for the command name
    expect(values('--region', 'copy', 'push', '--bucket', 'b', '--ca', 'c')).toMatchObject({
      region: 'copy',
      bucket: 'b',
    });
  });
});

describe('parseCommandLine: errors are one line, with a hint', () => {
  it('an unknown option, with a suggestion when one is close', () => {
    expect(failure('copy', 'a', '--frobnicate')).toEqual({
      message: 'unknown option --frobnicate',
      hint: "see 'toy copy --help'",
    });
    expect(failure('copy', 'a', '--formt', 'json').message).toBe(
      'unknown option --formt (did you mean --format?)',
    );
    expect(failure('copy', 'a', '-x').message).toBe('unknown option -x');
    expect(failure('copy', 'a', '-fo', 'x').message).toBe('unknown option -f');
    expect(failure('copy', 'a', '--constructor').message).toBe('unknown option --constructor');
    expect(failure('copy', 'a', '--no-output').message).toBe('unknown option --no-output');
  });

  it("a command's option before the command name", () => {
    expect(failure('--format', 'json', 'copy', 'a')).toEqual({
      message: 'unknown option --format',
      hint: 'write --format after the command name',
    });
    expect(failure('--bogus', 'copy').hint).toBe(
      'only the global options (--region, --mode) go before the command name',
    );
  });

  it('a missing required option: its own message; several in one line', () => {
    expect(failure('push', '--ca', 'c')).toEqual({
      message: 'name the bucket with --bucket',
      hint: "see 'toy push --help'",
    });
    expect(failure('push').message).toBe('name the bucket with --bucket; name each CA with --ca ARN');
  });

  it('a missing required positional', () => {
    expect(failure('copy', '--force').message).toBe('name what to copy');
  });

  it('a list that took the positionals says so', () => {
    expect(failure('copy', '--tag', 'x', 'a', 'b')).toEqual({
      message: 'name what to copy',
      hint: '--tag took every argument up to the next option: end the list with -- or put it last',
    });
  });

  it('a bad choice lists the choices, in one line', () => {
    expect(failure('copy', 'a', '--format', 'yaml')).toEqual({
      message: '--format: "yaml" is not one of text, json, csv',
      hint: "see 'toy copy --help'",
    });
    expect(failure('--mode', 'medium', 'copy', 'a').message).toBe(
      '--mode: "medium" is not one of slow, fast',
    );
  });

  it('too many positionals', () => {
    expect(failure('copy', 'a', 'b', 'c').message).toBe('unexpected argument "c" (copy takes <src> [dest])');
    expect(failure('push', 'x', '--bucket', 'b', '--ca', 'c').message).toBe(
      'unexpected argument "x" (push takes no arguments)',
    );
  });

  it('an option without its value', () => {
    expect(failure('copy', 'a', '--output').message).toBe('--output needs a value');
    expect(failure('copy', 'a', '-o').message).toBe('-o needs a value');
    expect(failure('copy', 'a', '--tag').message).toBe('--tag needs a value');
  });

  it('a value that looks like an option is not taken as one', () => {
    expect(failure('copy', 'a', '--output', '--force')).toEqual({
      message: '--output needs a value, not the option --force',
      hint: 'if "--force" is the value, write --output=--force',
    });
  });

  it('a single-valued option given twice', () => {
    expect(failure('copy', 'a', '--output', 'x', '-o', 'y').message).toBe('--output is given more than once');
    expect(failure('--region', 'x', 'copy', 'a', '--region', 'y').message).toBe(
      '--region is given more than once',
    );
  });

  it('a boolean with a value other than true or false', () => {
    expect(failure('copy', 'a', '--force=yes')).toEqual({
      message: '--force: "yes" is not true or false',
      hint: 'write --force or --no-force',
    });
    expect(failure('copy', 'a', '--no-force=true').message).toBe('--no-force takes no value');
  });

  it('no command, an unknown command, a mistyped one', () => {
    expect(failure()).toEqual({ message: 'name a command: copy or push', hint: undefined });
    expect(failure('--region', 'r')).toEqual({ message: 'name a command: copy or push', hint: undefined });
    expect(failure('frobnicate')).toEqual({
      message: 'unknown command "frobnicate"',
      hint: 'the commands are: copy, push',
    });
    expect(failure('coppy', 'a').message).toBe('unknown command "coppy" (did you mean copy?)');
    // the unknown command is reported before --help is honoured
    expect(failure('coppy', '--help').message).toBe('unknown command "coppy" (did you mean copy?)');
  });
});

describe('parseCommandLine: --help, help, --version', () => {
  it.each([[['--help']], [['-h']], [['help']], [['--region', 'r', '--help']]])(
    '%j: the program help',
    (args) => {
      expect(parse(...args)).toEqual({ kind: 'help' });
    },
  );

  it.each([
    [['copy', '--help']],
    [['copy', '-h']],
    [['--help', 'copy']],
    [['help', 'copy']],
    // help wins over everything else on the line
    [['copy', 'a', 'b', 'c', '--frobnicate', '--help']],
    [['copy', '--format', 'yaml', '-h']],
  ])('%j: the command help', (args) => {
    expect(parse(...args)).toEqual({ kind: 'help', command: COPY });
  });

  it('help with an unknown command, or two', () => {
    expect(failure('help', 'zzzz').message).toBe('unknown command "zzzz"');
    expect(failure('help', 'copy', 'push').message).toBe('help takes one command name');
  });

  it('--help after -- is a positional', () => {
    expect(values('copy', '--', '--help').src).toBe('--help');
  });

  it.each([[['--version']], [['copy', '--version']], [['--region', 'r', '--version']]])(
    '%j: the version',
    (args) => {
      expect(parse(...args)).toEqual({ kind: 'version' });
    },
  );
});

describe('renderHelp', () => {
  const toyCopy = renderHelp(TOY, COPY, 110);

  it('a command: usage, description, arguments, options with their facts, examples, the epilogue', () => {
    const lines = toyCopy.split('\n');
    expect(lines[0]).toBe('toy copy <src> [dest] [options]');
    expect(lines[2]).toBe('copy SRC to DEST');
    expect(toyCopy).toMatch(/^ {2}src +from \(- for stdin\) +\[required\]$/m);
    expect(toyCopy).toMatch(/^ {2}-o, --output +write here +\[string\]$/m);
    expect(toyCopy).toMatch(
      /^ {6}--format +format +\[choices: "text", "json", "csv"\] \[default: "text"\]$/m,
    );
    expect(toyCopy).toMatch(/^ {6}--tag +a tag +\[list\]$/m);
    expect(toyCopy).toMatch(/^ {6}--force +overwrite +\[boolean\] \[default: false\]$/m);
    expect(toyCopy).toMatch(/^Global options:\n {6}--region +the Region +\[string\]$/m);
    expect(toyCopy).toMatch(/^ {2}-h, --help +show help +\[boolean\]$/m);
    expect(toyCopy).toMatch(/^ {6}--version +show the version number +\[boolean\]$/m);
    expect(toyCopy).toMatch(/^Examples:\n {2}toy copy a b {2}a to b$/m);
    expect(toyCopy.endsWith('\nExit codes: 0 ok\n')).toBe(true);
  });

  it('the program: usage, description, the commands, the global options, the epilogue', () => {
    const text = renderHelp(TOY, undefined, 110);
    expect(text.split('\n')[0]).toBe('toy <command> [options]');
    expect(text).toMatch(
      /^Commands:\n {2}toy copy <src> \[dest\] {2}copy SRC to DEST\n {2}toy push {15}push$/m,
    );
    expect(text).toMatch(/^ {6}--mode +how +\[choices: "slow", "fast"\] \[default: "slow"\]$/m);
    expect(text).not.toContain('--output');
    expect(text.endsWith('\nExit codes: 0 ok\n')).toBe(true);
  });

  it.each([60, 80, 110])(
    'every line fits %i columns but the example commands (kept whole) and the epilogue (as written)',
    (width) => {
      for (const command of [undefined, ...PROGRAM.commands]) {
        const text = renderHelp(PROGRAM, command, width);
        const whole = new Set([
          ...(command?.examples ?? []).map(([c]) => `  ${c.replaceAll('$0', 'pca-audit')}`),
          ...PROGRAM.epilogue.split('\n'),
        ]);
        for (const line of text.split('\n')) {
          if (line.length > width) expect(whole, `${JSON.stringify(line)} (${width})`).toContain(line);
        }
      }
    },
  );

  it('wraps descriptions under their column and keeps the facts whole when it can', () => {
    const text = renderHelp(TOY, COPY, 56);
    expect(text).toMatch(/^ {6}--format +format$/m);
    expect(text).toMatch(/^ +\[choices: "text", "json", "csv"\]$/m);
    expect(text).toMatch(/^ +\[default: "text"\]$/m);
  });
});

describe('the pca-audit table', () => {
  it('no command option shadows a global one, --help/-h or --version; short names are unique', () => {
    const globals = new Set([...Object.keys(PROGRAM.options), 'help', 'version']);
    for (const c of PROGRAM.commands) {
      for (const name of Object.keys(c.options)) expect(globals.has(name), `${c.name} --${name}`).toBe(false);
      const shorts = Object.values({ ...PROGRAM.options, ...c.options }).flatMap((o) => o.short ?? []);
      expect(new Set([...shorts, 'h']).size, c.name).toBe(shorts.length + 1);
    }
  });

  it('the no-command message and the unknown-command hint name every command', () => {
    const names = PROGRAM.commands.map((c) => c.name);
    expect(names).toEqual([
      'inspect',
      'diff',
      'events',
      'generate',
      'run',
      'bootstrap',
      'doctor',
      'iam-policy',
    ]);
    expect(() => parseCommandLine(PROGRAM, [])).toThrow(
      'name a command: inspect, diff, events, generate, run, bootstrap, doctor or iam-policy',
    );
  });

  it.each([
    [['generate'], 'name the CA with --ca ARN; name the bucket the CA writes reports into with --bucket'],
    [['doctor', '--ca', 'x'], 'name the bucket the CA writes reports into with --bucket'],
    [['bootstrap', '--bucket', 'b'], 'name each CA with --ca ARN'],
    [['events'], 'name the CloudTrail records to read with --cloudtrail'],
    [['inspect'], 'name the report to inspect (a file, or - for stdin)'],
  ])('%j: the required-option message', (args, message) => {
    expect(() => parseCommandLine(PROGRAM, args)).toThrow(message);
  });

  it('inspect: the output options, -o, the defaults, strings throughout', () => {
    const r = parseCommandLine(PROGRAM, ['inspect', '-', '-o', '-', '--max-findings', '05']);
    expect(r.kind === 'command' && r.values).toMatchObject({
      report: '-',
      output: '-',
      format: 'text',
      force: false,
      'fail-on': 'warning',
      'max-findings': '05',
      'expiring-within': '30d',
      'retry-mode': 'standard',
      'max-attempts': '5',
    });
  });

  it('run: flags not given stay undefined (so the environment and the config file can set them)', () => {
    const r = parseCommandLine(PROGRAM, ['run']);
    expect(r.kind === 'command' && r.values).toMatchObject({
      all: undefined,
      ca: undefined,
      'dry-run': false,
    });
    const s = parseCommandLine(PROGRAM, ['run', '--no-all', '--ca', 'a', 'b']);
    expect(s.kind === 'command' && s.values).toMatchObject({ all: false, ca: ['a', 'b'] });
  });

  it('handlers get the types of their table row', () => {
    type Copy = Values<typeof COPY.options & typeof GLOBAL, typeof COPY.positionals>;
    expectTypeOf<Copy['src']>().toEqualTypeOf<string>();
    expectTypeOf<Copy['dest']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Copy['output']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Copy['format']>().toEqualTypeOf<'text' | 'json' | 'csv'>();
    expectTypeOf<Copy['mode']>().toEqualTypeOf<'slow' | 'fast'>();
    expectTypeOf<Copy['tag']>().toEqualTypeOf<string[] | undefined>();
    expectTypeOf<Copy['force']>().toEqualTypeOf<boolean>();
    expectTypeOf<Copy['all']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<Copy['limit']>().toEqualTypeOf<string>();
    type Push = Values<typeof PUSH.options, typeof PUSH.positionals>;
    expectTypeOf<Push['bucket']>().toEqualTypeOf<string>();
    expectTypeOf<Push['ca']>().toEqualTypeOf<string[]>();
  });
});

describe('helpers', () => {
  it('editDistance', () => {
    expect(editDistance('inspekt', 'inspect')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('diff', 'diff')).toBe(0);
    expect(editDistance('events', 'vents')).toBe(1);
  });

  it('wrap: greedy, a long word whole on its own line', () => {
    expect(wrap('a bb ccc dddd', 6)).toEqual(['a bb', 'ccc', 'dddd']);
    expect(wrap('abcdefghij xy', 4)).toEqual(['abcdefghij', 'xy']);
    expect(wrap('', 10)).toEqual(['']);
  });
});
