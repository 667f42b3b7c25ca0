/**
 * The part of yargs (18, ESM, ships no types) that pca-audit uses: run's flags > environment >
 * config file layer (src/app/run-settings.ts).
 */
declare module 'yargs' {
  interface YargsOption {
    type?: 'string' | 'boolean' | 'array';
    string?: boolean;
    alias?: string;
    coerce?: (value: unknown) => unknown;
  }
  interface Argv {
    help(enable: boolean): Argv;
    version(enable: boolean): Argv;
    exitProcess(enable: boolean): Argv;
    strict(enable: boolean): Argv;
    parserConfiguration(configuration: Record<string, boolean>): Argv;
    env(prefix: string): Argv;
    config(object: Record<string, unknown>): Argv;
    options(options: Record<string, YargsOption>): Argv;
    fail(handler: (message: string | undefined, error: Error | undefined) => never): Argv;
    parseSync(args: readonly string[], context?: Record<string, unknown>): Record<string, unknown>;
  }
  export default function yargs(args?: readonly string[]): Argv;
}
