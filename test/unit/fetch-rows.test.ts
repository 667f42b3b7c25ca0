import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRowsAt } from '../../src/core/report/report-reader.js';
import { fetchRows, freeJoinColumns, loadReport } from '../../src/io/load-report.js';
import { openReportFile } from '../../src/io/report-source.js';
import { aRecord, aSerial, chunksOf, someRecords, toCsvReport, toJsonReport } from '../builders.js';

const dir = mkdtempSync(join(tmpdir(), 'pca-audit-fetch-rows-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 3000 rows (~1.5 MB), one of them longer than the first read of a row (4 KiB)
const records = someRecords(3000, (i) =>
  i === 1500 ? { subject: `CN=${'a'.repeat(9000)},O=Example Corp` } : {},
);
records.push(aRecord({ serial: aSerial(5000), subject: 'CN=last' }));

describe.each([
  ['json', toJsonReport(records)],
  ['csv', toCsvReport(records)],
])(
  'fetchRows (%s): the rows a plain file holds at the offsets, as a scan of the whole report reads them',
  (format, text) => {
    it('runs of neighbours, scattered rows, a long row, the last row', async () => {
      const path = join(dir, `report.${format}`);
      writeFileSync(path, text);
      const file = await openReportFile(path);
      const index = await loadReport(file, { findingLimit: 1000 });
      const entries = [
        ...Array.from({ length: 600 }, (_, k) => 10 + k), // a run longer than one read (256 KiB)
        ...[700, 702, 705, 900, 1499, 1500, 1501, 2000], // close and far apart, around the long row
        ...Array.from({ length: 40 }, (_, k) => 2500 + 3 * k), // a run with gaps
        records.length - 2,
        records.length - 1, // at the end of the file
      ];
      const offsets = entries.map((e) => index.offset[e]!);
      const rows = await fetchRows(file, index, offsets);
      const expected = await readRowsAt(chunksOf(text), offsets);
      expect([...rows.keys()]).toEqual(offsets);
      for (const offset of offsets) expect(rows.get(offset)).toEqual(expected.get(offset));
      expect(rows.get(index.offset[1500]!)!.fields.subject).toHaveLength(9000 + 3 + 15);
      expect(rows.get(index.offset[records.length - 1]!)!.fields.subject).toBe('CN=last');
    });
  },
);

describe('freeJoinColumns', () => {
  it('lets go of the join columns at once (their buffers are detached), keeps the rest', async () => {
    const path = join(dir, 'free.json');
    writeFileSync(path, toJsonReport(records.slice(0, 100)));
    const file = await openReportFile(path);
    const a = await loadReport(file, { findingLimit: 1000 });
    const b = await loadReport(file, { findingLimit: 1000 });
    const arena = a.arena;
    const table = b.table;
    const offsets = [...a.offset.slice(0, a.count)];
    await freeJoinColumns(a, b);
    expect(arena.byteLength).toBe(0);
    expect(table.byteLength).toBe(0);
    expect(a.serialStart).toHaveLength(0);
    expect([...a.offset.slice(0, a.count)]).toEqual(offsets);
    const rows = await fetchRows(file, a, offsets.slice(0, 3));
    expect(rows.size).toBe(3);
  });
});
