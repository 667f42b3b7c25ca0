/**
 * `npm run emulator -- --port 0 --s3-endpoint URL [--region eu-west-1] [--account 111122223333]`
 *
 * Prints `listening http://127.0.0.1:PORT` as its first stdout line; stops cleanly on SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import { Emulator } from './server.js';

const USAGE =
  'usage: pca-audit-emulator --port N --s3-endpoint URL [--region eu-west-1] [--account 111122223333]';

async function main(argv: string[]): Promise<number> {
  let values: { port?: string; 's3-endpoint'?: string; region?: string; account?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        's3-endpoint': { type: 'string' },
        region: { type: 'string', default: 'eu-west-1' },
        account: { type: 'string', default: '111122223333' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`emulator: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const port = Number(values.port);
  const s3Endpoint = values['s3-endpoint'];
  if (values.port === undefined || !Number.isInteger(port) || port < 0 || port > 65535 || !s3Endpoint) {
    process.stderr.write(`emulator: --port and --s3-endpoint are required\n${USAGE}\n`);
    return 2;
  }
  if (!/^\d{12}$/.test(values.account ?? '')) {
    process.stderr.write(`emulator: --account is 12 digits\n${USAGE}\n`);
    return 2;
  }
  const emulator = new Emulator({
    region: values.region ?? 'eu-west-1',
    account: values.account!,
    s3Endpoint,
  });
  const bound = await emulator.listen(port);
  process.stdout.write(`listening http://127.0.0.1:${bound}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await emulator.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`emulator: ${(err as Error).message ?? err}\n`);
    process.exitCode = 1;
  },
);
