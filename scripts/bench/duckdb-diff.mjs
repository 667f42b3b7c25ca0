// The DuckDB side of the `diff` benchmark, run as its own process (`node --import rss-probe.mjs
// duckdb-diff.mjs json|csv OLD NEW OLD_CREATED_AT NEW_CREATED_AT`): both reports read whole
// (read_json / read_csv), joined on serial, and the changes written to stdout as JSON lines, one a
// changed certificate (issued, revoked, expired); what `pca-audit diff` does, minus the findings,
// the checks and the read-back of the rows findings quote. stderr: "issued N revoked N expired N".
import { DuckDBInstance } from '@duckdb/node-api';

const [format, oldPath, newPath, oldAt, newAt] = process.argv.slice(2);
if (!newAt || (format !== 'json' && format !== 'csv')) {
  process.stderr.write('usage: duckdb-diff.mjs json|csv OLD NEW OLD_CREATED_AT NEW_CREATED_AT\n');
  process.exit(2);
}
const q = (s) => `'${s.replaceAll("'", "''")}'`;
const columns = `{awsAccountId: 'VARCHAR', requestedByServicePrincipal: 'VARCHAR', certificateArn: 'VARCHAR',
  serial: 'VARCHAR', subject: 'VARCHAR', notBefore: 'VARCHAR', notAfter: 'VARCHAR', issuedAt: 'VARCHAR',
  revokedAt: 'VARCHAR', revocationReason: 'VARCHAR', templateArn: 'VARCHAR'}`;
const read = (path) =>
  format === 'json'
    ? `read_json(${q(path)}, format = 'array', columns = ${columns})`
    : `read_csv(${q(path)}, header = true, columns = ${columns})`;
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const reader = await c.runAndReadAll(
  `WITH o AS (SELECT * FROM ${read(oldPath)}), n AS (SELECT * FROM ${read(newPath)})
   SELECT CASE WHEN o.serial IS NULL THEN 'issued'
               WHEN n.revokedAt IS NOT NULL AND o.revokedAt IS NULL THEN 'revoked'
               ELSE 'expired' END AS change,
          coalesce(n.serial, o.serial) AS serial, coalesce(n.certificateArn, o.certificateArn) AS arn,
          coalesce(n.subject, o.subject) AS subject, coalesce(n.notAfter, o.notAfter) AS notAfter,
          n.revokedAt AS revokedAt, n.revocationReason AS revocationReason
   FROM o FULL OUTER JOIN n ON o.serial = n.serial
   WHERE o.serial IS NULL
      OR (n.serial IS NOT NULL AND n.revokedAt IS NOT NULL AND o.revokedAt IS NULL)
      OR (n.serial IS NOT NULL AND n.revokedAt IS NULL
          AND CAST(o.notAfter AS TIMESTAMPTZ) > CAST(${q(oldAt)} AS TIMESTAMPTZ)
          AND CAST(o.notAfter AS TIMESTAMPTZ) <= CAST(${q(newAt)} AS TIMESTAMPTZ))`,
);
const rows = reader.getRowObjectsJson();
const counts = { issued: 0, revoked: 0, expired: 0 };
let out = '';
for (const row of rows) {
  counts[row.change]++;
  out += `${JSON.stringify(row)}\n`;
}
process.stdout.write(out);
process.stderr.write(`issued ${counts.issued} revoked ${counts.revoked} expired ${counts.expired}\n`);
