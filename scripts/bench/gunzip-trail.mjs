// The floor of the `events` benchmark, run as its own process (`node --import rss-probe.mjs
// gunzip-trail.mjs DIR THREADS`): every .json.gz file under DIR decompressed and dropped, THREADS files
// at a time (zlib on libuv's thread pool, as pca-audit's file readers use it), nothing else. Prints
// the decompressed bytes on stderr. `events` cannot be faster than this on the same machine.
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';

const [dir, threadsArg] = process.argv.slice(2);
const threads = Number(threadsArg);
if (!dir || !Number.isInteger(threads) || threads < 1) {
  process.stderr.write('usage: gunzip-trail.mjs DIR THREADS\n');
  process.exit(2);
}
const files = (await readdir(dir, { recursive: true }))
  .filter((name) => name.endsWith('.json.gz'))
  .map((name) => join(dir, name));
let bytes = 0;
async function gunzip(path) {
  const chunkSize = 256 * 1024;
  const stream = createReadStream(path, { highWaterMark: chunkSize }).pipe(createGunzip({ chunkSize }));
  for await (const chunk of stream) bytes += chunk.length;
}
let next = 0;
await Promise.all(
  Array.from({ length: threads }, async () => {
    while (next < files.length) await gunzip(files[next++]);
  }),
);
process.stderr.write(`${files.length} files, ${bytes} bytes\n`);
