/**
 * The command line, from a declarative table: one source for parsing and for --help. Tokens come
 * from node:util's parseArgs (non-strict, so every check and message here is ours); values stay
 * the strings the user wrote (no number parsing), and every error is a one-line UsageError.
 *
 * - Global options may come before or after the command name; a command's own options after it.
 * - `--opt value`, `--opt=value`; `-` is a value like any other (standard input), as an option's
 *   value and as a positional. A value from the next argument may not look like an option
 *   (`--output --force`); `--output=--force` says it is one.
 * - Booleans: `--flag`, `--no-flag`, `--flag=true|false`.
 * - A list option (`multiple`) is repeatable, `--ca A --ca B`, and takes every argument after it up
 *   to the next option or `--`: `--ca A B` (as yargs did, and the README shows).
 *   `--ca=A` takes exactly one.
 * - A single-valued option given twice is an error, not "the last one wins".
 * - `--` ends the options: everything after it is positional.
 * - `--help`/`-h` (also `help [command]` as the first word) and `--version` win over everything
 *   else on the line, but an unknown command is reported first.
 *
 * Why not yargs here (issue 17 item 5 tried it; yargs 18.2.0, strict, parse-numbers off,
 * duplicate-arguments-array on): it reads `diff - -` as src=true, dest=true and `--output -` as ""
 * (yargs/yargs#1312, yargs/yargs-parser#381, both open), takes `--output --force` and `-o` with no
 * value as "", `--force=maybe` as false, drops what follows `--`, accepts a command's option before
 * the command name, and says "Unknown argument: zzz" for a mistyped command, over several lines and
 * with no hint. Wrapping every one of those would leave yargs only the tokenizing node:util already
 * does, and loading it costs ~58 ms on every start (--version included). yargs does `run`'s
 * flags > environment > config file layer (src/app/run-settings.ts), loaded only when run runs.
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../core/errors.js';

export interface StringOption {
  readonly type: 'string';
  readonly describe: string;
  /** a one-letter alias: `o` for `-o` */
  readonly short?: string;
  readonly default?: string;
  readonly choices?: readonly string[];
  /** the option must be given; this is the message when it is not */
  readonly required?: string;
  /** a list: repeatable, and greedy (see above) */
  readonly multiple?: true;
}

export interface BooleanOption {
  readonly type: 'boolean';
  readonly describe: string;
  readonly short?: string;
  /** without one, a flag not given is undefined (so that "not given" can defer to a config file) */
  readonly default?: boolean;
}

export type OptionSpec = StringOption | BooleanOption;
export type Options = Readonly<Record<string, OptionSpec>>;

export interface Positional {
  readonly name: string;
  readonly describe: string;
  /** the argument must be given; this is the message when it is not. Required ones come first. */
  readonly required?: string;
}

export interface CommandSpec<
  O extends Options = Options,
  P extends readonly Positional[] = readonly Positional[],
> {
  readonly name: string;
  readonly describe: string;
  readonly positionals: P;
  readonly options: O;
  readonly examples: readonly (readonly [command: string, what: string])[];
  /** the end of the command's help */
  readonly epilogue?: string;
}

export interface ProgramSpec<C extends CommandSpec = CommandSpec> {
  readonly name: string;
  readonly describe: string;
  /** accepted before and after the command name */
  readonly options: Options;
  readonly commands: readonly C[];
  /** the end of the program's help */
  readonly epilogue: string;
  /** the message when no command is named */
  readonly noCommand: string;
}

/** The value an option spec gives a handler. */
export type OptionValue<S extends OptionSpec> = S extends BooleanOption
  ? S extends { readonly default: boolean }
    ? boolean
    : boolean | undefined
  : S extends { readonly multiple: true }
    ? S extends { readonly required: string }
      ? string[]
      : string[] | undefined
    :
        | (S extends { readonly choices: readonly (infer C)[] } ? C : string)
        | (S extends { readonly default: string } | { readonly required: string } ? never : undefined);

/** What a handler gets: each option and positional by its name. */
export type Values<O extends Options, P extends readonly Positional[]> = {
  -readonly [K in keyof O]: O[K] extends OptionSpec ? OptionValue<O[K]> : never;
} & {
  -readonly [X in P[number] as X['name']]: X extends { readonly required: string }
    ? string
    : string | undefined;
};

export type RawValue = string | boolean | string[] | undefined;
export type RawValues = Record<string, RawValue>;

/**
 * Values as their command's table types them. The only cast: parseCommandLine checked each value
 * against the same table.
 */
export function typedValues<V>(values: RawValues): V {
  return values as V;
}

export type ParseResult<C extends CommandSpec> =
  | { readonly kind: 'help'; readonly command?: C }
  | { readonly kind: 'version' }
  | { readonly kind: 'command'; readonly command: C; readonly values: RawValues };

const HELP: BooleanOption = { type: 'boolean', short: 'h', describe: 'show help' };
const VERSION: BooleanOption = { type: 'boolean', describe: 'show the version number' };

/** The options every command line has besides the table's: --help/-h and --version. */
function withBuiltins(options: Options): Options {
  return { ...options, help: HELP, version: VERSION };
}

export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(up + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

function nearest(word: string, candidates: readonly string[]): string | undefined {
  if (word.length < 3) return undefined;
  return candidates.find((c) => editDistance(c, word) <= 2);
}

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

function tokenize(args: readonly string[], options: Options): Token[] {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, o] of Object.entries(options)) {
    config[name] = o.short === undefined ? { type: o.type } : { type: o.type, short: o.short };
  }
  return (
    parseArgs({ args: [...args], options: config, strict: false, allowPositionals: true, tokens: true })
      .tokens ?? []
  );
}

const has = (options: Options, name: string): boolean => Object.hasOwn(options, name);

function asked(tokens: readonly Token[], name: 'help' | 'version'): boolean {
  return tokens.some((t) => t.kind === 'option' && t.name === name);
}

function commandNames(program: ProgramSpec): string {
  return program.commands.map((c) => c.name).join(', ');
}

function unknownCommand(program: ProgramSpec, word: string): UsageError {
  const near = nearest(
    word,
    program.commands.map((c) => c.name),
  );
  return new UsageError(
    `unknown command "${word}"${near ? ` (did you mean ${near}?)` : ''}`,
    `the commands are: ${commandNames(program)}`,
  );
}

/** The usage of a command: `pca-audit diff <old> [new]`. */
export function usageOf(program: ProgramSpec, command: CommandSpec): string {
  const args = command.positionals.map((p) => (p.required === undefined ? `[${p.name}]` : `<${p.name}>`));
  return [program.name, command.name, ...args].join(' ');
}

/** Reads a command line against the table; throws a UsageError for anything it does not accept. */
export function parseCommandLine<C extends CommandSpec>(
  program: ProgramSpec<C>,
  args: readonly string[],
): ParseResult<C> {
  // First pass, with the global options only: where is the command name?
  const globals = withBuiltins(program.options);
  const prefixTokens = tokenize(args, globals);
  const first = prefixTokens.find((t) => t.kind === 'positional');
  const globalHint = `only the global options (${Object.keys(program.options)
    .map((n) => `--${n}`)
    .join(', ')}) go before the command name`;
  for (const t of prefixTokens) {
    if (first !== undefined && t.index >= first.index) break;
    if (t.kind !== 'option' || has(globals, t.name)) continue;
    const ofCommand = program.commands.some((c) => has(c.options, t.name));
    throw new UsageError(
      `unknown option ${t.rawName}`,
      ofCommand ? `write ${t.rawName} after the command name` : globalHint,
    );
  }
  if (first === undefined || first.kind !== 'positional') {
    if (asked(prefixTokens, 'help')) return { kind: 'help' };
    if (asked(prefixTokens, 'version')) return { kind: 'version' };
    throw new UsageError(program.noCommand);
  }
  const findCommand = (word: string): C => {
    const command = program.commands.find((c) => c.name === word);
    if (command === undefined) throw unknownCommand(program, word);
    return command;
  };
  if (first.value === 'help') {
    const topics = prefixTokens.filter((t) => t.kind === 'positional' && t.index > first.index);
    const topic = topics[0];
    if (topic === undefined || topic.kind !== 'positional') return { kind: 'help' };
    if (topics.length > 1) {
      throw new UsageError('help takes one command name', `the commands are: ${commandNames(program)}`);
    }
    return { kind: 'help', command: findCommand(topic.value) };
  }
  const command = findCommand(first.value);

  // Second pass: the whole line less the command name, with the command's options too.
  const options = withBuiltins({ ...program.options, ...command.options });
  const tokens = tokenize(
    args.filter((_, i) => i !== first.index),
    options,
  );
  if (asked(tokens, 'help')) return { kind: 'help', command };
  if (asked(tokens, 'version')) return { kind: 'version' };

  const hint = `see '${program.name} ${command.name} --help'`;
  function fail(message: string, why = hint): never {
    throw new UsageError(message, why);
  }
  const values = new Map<string, RawValue>();
  const lists = new Map<string, string[]>();
  const positionals: string[] = [];
  /** the list option still taking the arguments that follow it */
  let open: string | undefined;
  /** the list options that took more than the argument right after them */
  const greedy = new Set<string>();
  for (const t of tokens) {
    if (t.kind === 'positional') {
      if (open === undefined) positionals.push(t.value);
      else {
        lists.get(open)!.push(t.value);
        greedy.add(open);
      }
      continue;
    }
    open = undefined;
    if (t.kind === 'option-terminator') continue;
    const spec = has(options, t.name) ? options[t.name] : undefined;
    if (spec === undefined) {
      const negated = t.name.startsWith('no-') ? t.name.slice(3) : undefined;
      const base = negated !== undefined && has(options, negated) ? options[negated] : undefined;
      if (negated !== undefined && base?.type === 'boolean') {
        if (t.value !== undefined) fail(`${t.rawName} takes no value`);
        values.set(negated, false);
        continue;
      }
      const near = t.rawName.startsWith('--') ? nearest(t.name, Object.keys(options)) : undefined;
      fail(`unknown option ${t.rawName}${near ? ` (did you mean --${near}?)` : ''}`);
    } else if (spec.type === 'boolean') {
      if (t.value === undefined || t.value === 'true') values.set(t.name, true);
      else if (t.value === 'false') values.set(t.name, false);
      else fail(`${t.rawName}: "${t.value}" is not true or false`, `write ${t.rawName} or --no-${t.name}`);
    } else {
      const flag = t.rawName;
      if (t.value === undefined) fail(`${flag} needs a value`);
      const value = t.value!;
      if (!t.inlineValue && value.length > 1 && value.startsWith('-')) {
        fail(
          `${flag} needs a value, not the option ${value}`,
          `if "${value}" is the value, write ${flag}=${value}`,
        );
      }
      if (spec.choices !== undefined && !spec.choices.includes(value)) {
        fail(`${flag}: "${value}" is not one of ${spec.choices.join(', ')}`);
      }
      if (spec.multiple) {
        const list = lists.get(t.name) ?? [];
        list.push(value);
        lists.set(t.name, list);
        if (!t.inlineValue) open = t.name;
      } else {
        if (values.has(t.name)) fail(`--${t.name} is given more than once`);
        values.set(t.name, value);
      }
    }
  }

  const expected = command.positionals;
  if (positionals.length > expected.length) {
    const takes =
      expected.length === 0 ? 'no arguments' : usageOf(program, command).split(' ').slice(2).join(' ');
    fail(`unexpected argument "${positionals[expected.length]}" (${command.name} takes ${takes})`);
  }
  const missing: string[] = [];
  expected.forEach((p, i) => {
    if (p.required !== undefined && positionals[i] === undefined) missing.push(p.required);
  });
  const positionalMissing = missing.length > 0;
  for (const [name, spec] of Object.entries(command.options).concat(Object.entries(program.options))) {
    if (spec.type === 'string' && spec.required !== undefined && !values.has(name) && !lists.has(name)) {
      missing.push(spec.required);
    }
  }
  if (missing.length) {
    const ate = [...greedy].map((n) => `--${n}`);
    fail(
      missing.join('; '),
      ate.length && positionalMissing
        ? `${ate.join(' and ')} took every argument up to the next option: end the list with -- or put it last`
        : hint,
    );
  }

  const out: RawValues = {};
  for (const [name, spec] of Object.entries(options)) {
    if (name === 'help' || name === 'version') continue;
    const value = spec.type === 'string' && spec.multiple ? lists.get(name) : values.get(name);
    out[name] = value ?? spec.default;
  }
  expected.forEach((p, i) => {
    out[p.name] = positionals[i];
  });
  return { kind: 'command', command, values: out };
}

// --help

/** Greedy word wrap; a word longer than the width stays whole on its own line. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

interface Row {
  left: string;
  text: string;
  /** bracketed facts, right-aligned after the text: [string], [default: "x"] */
  notes: readonly string[];
}

/** Packs notes into lines of at most `width`, a note broken only when it is longer than a line. */
function noteLines(notes: readonly string[], width: number): string[] {
  const lines: string[] = [];
  for (const note of notes) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + note.length <= width)
      lines[lines.length - 1] = `${last} ${note}`;
    else lines.push(...(note.length <= width ? [note] : wrap(note, width)));
  }
  return lines;
}

/**
 * Two columns, the second wrapped; notes right-aligned on its last line, or on lines of their own.
 * `aligned`: the rows of every table printed with this one, so that all start their text in one column.
 */
function table(rows: readonly Row[], width: number, aligned: readonly Row[] = rows): string[] {
  const leftWidth = Math.min(Math.max(...aligned.map((r) => r.left.length)), Math.floor(width / 3));
  const textWidth = Math.max(20, width - 2 - leftWidth - 2);
  const pad = ' '.repeat(2 + leftWidth + 2);
  const out: string[] = [];
  for (const r of rows) {
    const lines = wrap(r.text, textWidth);
    const notes = r.notes.join(' ');
    const last = lines.at(-1)!;
    if (notes && last.length + 1 + notes.length <= textWidth) {
      lines[lines.length - 1] = last + notes.padStart(textWidth - last.length);
    } else if (notes) {
      for (const n of noteLines(r.notes, textWidth)) lines.push(n.padStart(textWidth));
    }
    // a left cell too wide for its column gets a line of its own
    if (r.left.length > leftWidth) out.push(`  ${r.left}`);
    else lines[0] = `${r.left.padEnd(leftWidth)}  ${lines[0]}`;
    lines.forEach((l, i) => {
      out.push((i === 0 && r.left.length <= leftWidth ? `  ${l}` : `${pad}${l}`).trimEnd());
    });
  }
  return out;
}

/** `indent`: leave room for `-x, ` (when any option shown with these has a short name). */
function optionRows(options: Options, indent: boolean): Row[] {
  return Object.entries(options).map(([name, o]) => {
    const notes: string[] = [];
    if (o.type === 'boolean') notes.push('[boolean]');
    else if (o.choices !== undefined) notes.push(`[choices: ${o.choices.map((c) => `"${c}"`).join(', ')}]`);
    else notes.push(o.multiple ? '[list]' : '[string]');
    if (o.type === 'string' && o.required !== undefined) notes.push('[required]');
    if (o.default !== undefined) notes.push(`[default: ${JSON.stringify(o.default)}]`);
    const flag = `--${name}`;
    const left = o.short !== undefined ? `-${o.short}, ${flag}` : indent ? `    ${flag}` : flag;
    return { left, text: o.describe, notes };
  });
}

const hasShort = (options: Options): boolean => Object.values(options).some((o) => o.short !== undefined);

function examples(list: CommandSpec['examples'], width: number): string[] {
  const widest = Math.max(...list.map(([command]) => command.length));
  if (list.every(([, what]) => 2 + widest + 2 + what.length <= width)) {
    return list.map(([c, what]) => `  ${c.padEnd(widest)}  ${what}`);
  }
  // commands whole (so they can be copied), each with what it does below
  return list.flatMap(([c, what]) => [`  ${c}`, ...wrap(what, width - 6).map((l) => `      ${l}`)]);
}

/** The help of the program (no command) or of one command, for a terminal `width` columns wide. */
export function renderHelp(program: ProgramSpec, command: CommandSpec | undefined, width: number): string {
  const out: string[] = [];
  const globalOptions = withBuiltins(program.options);
  const indent = hasShort(globalOptions) || (command !== undefined && hasShort(command.options));
  const globals = optionRows(globalOptions, indent);
  if (command === undefined) {
    out.push(`${program.name} <command> [options]`, '', ...wrap(program.describe, width), '');
    out.push('Commands:');
    out.push(
      ...table(
        program.commands.map((c) => ({ left: usageOf(program, c), text: c.describe, notes: [] })),
        width,
      ),
    );
    out.push('', 'Options:', ...table(globals, width), '');
    out.push(
      ...wrap(
        `Run '${program.name} <command> --help' (or '${program.name} help <command>') for its options.`,
        width,
      ),
    );
    out.push('', program.epilogue);
  } else {
    out.push(`${usageOf(program, command)} [options]`, '', ...wrap(command.describe, width), '');
    if (command.positionals.length) {
      const rows = command.positionals.map((p) => ({
        left: p.name,
        text: p.describe,
        notes: p.required === undefined ? [] : ['[required]'],
      }));
      out.push('Arguments:', ...table(rows, width), '');
    }
    const own = optionRows(command.options, indent);
    const all = [...own, ...globals];
    if (own.length) out.push('Options:', ...table(own, width, all), '');
    if (Object.values(command.options).some((o) => o.type === 'string' && o.multiple)) {
      out.push(
        ...wrap(
          'A [list] option takes the values after it up to the next option, and can be repeated: --x A B is --x A --x B.',
          width,
        ),
        '',
      );
    }
    out.push('Global options:', ...table(globals, width, all), '');
    if (command.examples.length) {
      const lines = examples(
        command.examples.map(([c, what]) => [c.replaceAll('$0', program.name), what] as const),
        width,
      );
      out.push('Examples:', ...lines, '');
    }
    if (command.epilogue !== undefined) out.push(command.epilogue);
  }
  while (out.at(-1) === '') out.pop();
  return `${out.join('\n')}\n`;
}
