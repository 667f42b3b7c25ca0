/**
 * The index of a report from what its builder gathered: the CA the report is of, FOREIGN_CA (the
 * one finding that needs the whole report), and the counts.
 */
import type { FindingCollector } from '../../finding.js';
import { findingMessage } from '../../finding-catalogue.js';
import { INVALID_REASON, NO_REASON, reasonName } from '../revocation-reason.js';
import {
  CA_OVERFLOW,
  CA_UNKNOWN,
  caIdOf,
  entrySerialText,
  GROUP_ELSEWHERE,
  lineOf,
  type ReportIndex,
} from './model.js';
import type { FindingBody } from './row-findings.js';

/** What the builder gathered, before the report-wide findings. */
export interface IndexParts
  extends Omit<ReportIndex, 'caArn' | 'revokedByReason' | 'byTemplate' | 'findings' | 'findingCounts'> {
  expectedCa: string | undefined;
  /** rows per reason code (revocation-reason.ts), INVALID_REASON included */
  reasonCounts: ArrayLike<number>;
  templateNames: string[];
  templateCounts: ArrayLike<number>;
  /** rows without a templateArn */
  noTemplate: number;
  collector: FindingCollector;
}

/** The index of a report from its builder's parts: the report's CA, FOREIGN_CA, and the counts. */
export function finishIndex(parts: IndexParts): ReportIndex {
  const { collector, caArns, caCounts, expectedCa } = parts;
  // the CA the report is of: the expected one, else the one most rows name
  let main = 0;
  for (let id = 1; id < caCounts.length; id++) if (caCounts[id]! > (caCounts[main] ?? 0)) main = id;
  if (expectedCa !== undefined) main = caArns.indexOf(expectedCa);
  const caArn = expectedCa ?? (main > 0 ? caArns[main] : undefined);
  // the groups of rows naming another CA (rows kept apart may): most reports have none
  const foreign = new Uint8Array(GROUP_ELSEWHERE + 1);
  let anyForeign = parts.groupOtherEntry.length > 0;
  foreign[GROUP_ELSEWHERE] = 1;
  parts.groupCa.forEach((ca, g) => {
    if (ca !== CA_UNKNOWN && ca !== main) anyForeign = true;
    foreign[g] = +(ca !== CA_UNKNOWN && ca !== main);
  });
  if (caArn !== undefined && anyForeign) {
    const group = parts.group;
    // one builder for every row: it reads the row from `row` and `rowCa`
    let row = 0;
    let rowCa = 0;
    const build = (): FindingBody => foreignFinding(parts, row, rowCa, caArn);
    for (let i = 0; i < parts.count; i++) {
      if (foreign[group[i]!] === 0) continue;
      const ca = caIdOf(parts, i);
      if (ca === CA_UNKNOWN || ca === main) continue;
      row = i;
      rowCa = ca;
      collector.offer('FOREIGN_CA', build);
    }
  }
  const revokedByReason: Record<string, number> = {};
  for (let r = 0; r <= INVALID_REASON; r++) {
    const n = parts.reasonCounts[r] ?? 0;
    if (n === 0) continue;
    revokedByReason[r === NO_REASON ? '(none)' : r === INVALID_REASON ? '(invalid)' : reasonName(r)!] = n;
  }
  const byTemplate: Record<string, number> = {};
  parts.templateNames.forEach((name, t) => {
    byTemplate[name] = parts.templateCounts[t]!;
  });
  if (parts.noTemplate > 0 && parts.hasExtended) byTemplate['(none)'] = parts.noTemplate;
  const counts: Record<string, number> = {};
  for (const [code, n] of collector.counts) counts[code] = n;
  const {
    expectedCa: _e,
    reasonCounts: _r,
    templateNames: _n,
    templateCounts: _c,
    noTemplate: _t,
    collector: _k,
    ...index
  } = parts;
  return {
    ...index,
    caArn,
    revokedByReason,
    byTemplate,
    findings: collector.findings,
    findingCounts: counts,
  };
}

/** FOREIGN_CA of entry i, whose CA id is ca, in a report of caArn. */
function foreignFinding(parts: IndexParts, i: number, ca: number, caArn: string): FindingBody {
  const other = ca === CA_OVERFLOW ? 'another CA' : parts.caArns[ca]!;
  const serial = entrySerialText(parts, i);
  return {
    ...(serial === undefined ? {} : { serial }),
    message: findingMessage('FOREIGN_CA', { other, expected: caArn }),
    evidence: {
      ca: other,
      expected: caArn,
      row: { report: parts.source, line: lineOf(parts, i), byte: parts.offset[i]! },
    },
  };
}
