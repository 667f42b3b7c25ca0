// The DuckDB side of the `events` benchmark, run as its own process (`node --import rss-probe.mjs
// duckdb-trail.mjs GLOB`): read_json over the trail log files, the Records unnested and filtered on
// eventSource, the rows of acm-pca written to stdout as JSON lines (what `pca-audit events` does,
// minus the normalising, the deduplication and the sort).
import { DuckDBInstance } from '@duckdb/node-api';

const glob = process.argv[2];
if (!glob) {
  process.stderr.write('usage: duckdb-trail.mjs GLOB\n');
  process.exit(2);
}
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const quoted = `'${glob.replaceAll("'", "''")}'`;
const reader = await c.runAndReadAll(
  `SELECT r.eventID, r.eventTime, r.eventSource, r.eventName, r.requestParameters
   FROM (SELECT unnest(Records) AS r FROM read_json(${quoted}, maximum_object_size = 268435456))
   WHERE r.eventSource = 'acm-pca.amazonaws.com'`,
);
const rows = reader.getRowObjectsJson();
let out = '';
for (const row of rows) out += `${JSON.stringify(row)}\n`;
process.stdout.write(out);
process.stderr.write(`${rows.length} rows\n`);
