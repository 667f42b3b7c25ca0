/**
 * `pca-audit diff`: two successive reports of one CA compared, reconciled with CloudTrail and a
 * CRL when given. `diffFiles` is the pipeline `run` uses for each CA too.
 */
import { parseS3Uri } from '../core/bucket/s3-uri.js';
import { parseCaArn, reportPrefix } from '../core/ca-arn.js';
import { diffIndexes, type WindowBasis } from '../core/diff/diff.js';
import { completeDiff, rowsForDiff } from '../core/diff/diff-report.js';
import { UsageError } from '../core/errors.js';
import { exitCodeFor, type FailOn } from '../core/fail-on.js';
import { formatInstant, parseInstant } from '../core/instant.js';
import type { checkCrl } from '../core/reconcile/crl-check.js';
import type { CheckedCrl } from '../core/reconcile/crl-location.js';
import type { ReportIndex } from '../core/report/report-index.js';
import type { CloudTrailSection, DiffOutput, RowsByOffset } from '../core/report/report-model.js';
import { evidenceOffsets } from '../core/report/report-model.js';
import { expiringEntries } from '../core/report/report-summary.js';
import type { CollectedEvents, SharedEventReads } from '../io/event-inputs.js';
import type { EventSet } from '../io/event-source.js';
import type { OpenedInput } from '../io/inputs.js';
import { fetchRows, freeJoinColumns, loadReport } from '../io/load-report.js';
import type { AwsAccess, Clock, Diagnostics, EventSource, ReportSource } from './ports.js';
import { eventSource, inputContext } from './sources.js';

/** Below this many bytes in all, a worker thread costs more than it saves. */
const PARALLEL_THRESHOLD = 32 * 1024 * 1024;

export interface DiffRequest {
  /** where the reports are: files, `-` (one of them), or s3://bucket/key */
  old: string;
  new: string;
  oldCreatedAt?: number;
  newCreatedAt?: number;
  ca?: string;
  failOn: FailOn;
  maxFindings: number;
  /** CloudTrail sources (files, directories, -) to reconcile with */
  cloudtrail: string[];
  lenient: boolean;
  propagationAllowance: number;
  timeTolerance: number;
  crl?: string;
  /** a CRL already read and verified (run's CRL step), instead of --crl */
  checkedCrl?: CheckedCrl;
  /** the CA certificate the CRL's signature and issuer are checked against */
  caCertificate?: string;
  /** seconds: an older CRL (by thisUpdate) is CRL_STALE (warning); default 25 h */
  crlMaxAge?: number;
  /** with an s3:// prefix as OLD and no NEW: diff the N (2) newest reports under it */
  latest?: number;
}

export interface DiffResult {
  out: DiffOutput;
  exitCode: number;
  /** lines for stderr once the product is out (malformed records skipped under --lenient) */
  notes: string[];
}

/** What diffFiles needs: the clients (CRL and CloudTrail reads), the clock, progress; the events (default: src/io's). */
export type DiffFilesPorts = AwsAccess & Clock & Pick<Diagnostics, 'progress'> & { events?: EventSource };

/** What the diff use case needs: where reports come from, besides what diffFiles needs. */
export type DiffPorts = DiffFilesPorts & Diagnostics & { reports: ReportSource };

/** `s3://bucket/audit-report/<CA_ID>/ --latest 2` → the two newest report URIs, older first. */
async function latestReports(
  cmd: DiffRequest,
  ports: AwsAccess,
  region: string | undefined,
): Promise<[string, string]> {
  const parsed = parseS3Uri(cmd.old);
  if (!parsed.ok || (parsed.location.key !== '' && !parsed.location.key.endsWith('/'))) {
    throw new UsageError(
      `--latest needs an s3:// prefix as its only report, not "${cmd.old}"`,
      'write it like s3://my-audit-reports/audit-report/<CA_ID>/',
    );
  }
  const { bucket } = parsed.location;
  let prefix = parsed.location.key;
  const ca = cmd.ca === undefined ? undefined : parseCaArn(cmd.ca);
  if (prefix === '' && ca) prefix = reportPrefix(ca);
  const { listReportsUnder } = await import('../aws/generate.js');
  const reports = await listReportsUnder((await ports.aws()).s3(region), bucket, prefix);
  const cas = new Set(reports.map((r) => r.key.split('/').slice(-2, -1)[0]));
  if (cas.size > 1) {
    throw new UsageError(
      `s3://${bucket}/${prefix} holds reports of ${cas.size} CAs`,
      'name one CA: s3://bucket/audit-report/<CA_ID>/ or --ca ARN',
    );
  }
  if (reports.length < 2) {
    throw new UsageError(
      `found ${reports.length} report${reports.length === 1 ? '' : 's'} under s3://${bucket}/${prefix}; --latest 2 needs two`,
    );
  }
  return [`s3://${bucket}/${reports[1]!.key}`, `s3://${bucket}/${reports[0]!.key}`];
}

/**
 * Diffs two reports (or the two newest under an S3 prefix), reconciled with CloudTrail and a CRL
 * when given; the product is rendered by the caller.
 */
export async function diff(given: DiffRequest, ports: DiffPorts): Promise<DiffResult> {
  let cmd = given;
  if (cmd.latest !== undefined) {
    if (cmd.latest !== 2) throw new UsageError('--latest: only 2 is supported (the two newest reports)');
    if (cmd.new !== '') throw new UsageError('with --latest, give only the s3:// prefix, not NEW');
    const region = cmd.ca === undefined ? undefined : parseCaArn(cmd.ca)?.region;
    const [o, n] = await latestReports(cmd, ports, region);
    ports.note(`diffing the two newest reports: ${o} → ${n}`);
    cmd = { ...cmd, old: o, new: n };
  } else if (cmd.new === '') {
    throw new UsageError('name two reports, OLD and NEW (or an s3:// prefix with --latest 2)');
  }
  if (cmd.old === '-' && cmd.new === '-')
    throw new UsageError('only one of OLD and NEW can be standard input (-)');
  if (cmd.caCertificate !== undefined && cmd.crl === undefined) {
    throw new UsageError('--ca-certificate checks a CRL: give the CRL with --crl');
  }
  const stdinUsers = [
    cmd.old,
    cmd.new,
    ...cmd.cloudtrail,
    ...(cmd.crl ? [cmd.crl] : []),
    ...(cmd.caCertificate ? [cmd.caCertificate] : []),
  ];
  if (stdinUsers.filter((s) => s === '-').length > 1) {
    throw new UsageError('only one input can be standard input (-)');
  }
  if (
    cmd.oldCreatedAt !== undefined &&
    cmd.newCreatedAt !== undefined &&
    cmd.oldCreatedAt >= cmd.newCreatedAt
  ) {
    throw new UsageError('--old-created-at must be before --new-created-at');
  }
  const ca = cmd.ca === undefined ? undefined : parseCaArn(cmd.ca);
  if (cmd.ca !== undefined && ca === undefined) throw new UsageError(`--ca: "${cmd.ca}" is not a CA ARN`);
  const region = ca?.region;
  const files: OpenedInput[] = [];
  try {
    const oldFile = await ports.reports.open(cmd.old, { region });
    files.push(oldFile);
    const newFile = await ports.reports.open(cmd.new, { region });
    files.push(newFile);
    const { out, eventSet } = await diffFiles(oldFile, newFile, cmd, ports);
    return {
      out,
      exitCode: exitCodeFor(out.summary.findings, cmd.failOn),
      notes: eventSet && eventSet.stats.malformed > 0 ? [malformedWarning(eventSet)] : [],
    };
  } finally {
    for (const f of files) await f.dispose();
  }
}

/** What a diff needs besides its two reports. */
export type DiffSettings = Omit<DiffRequest, 'old' | 'new' | 'failOn' | 'latest'> & {
  /** run's metrics: count NEW's certificates expiring within this many seconds of its making */
  expiringWithin?: number;
  /** run's CloudTrail reads, shared by its CAs (one LookupEvents pass per account and Region) */
  shared?: SharedEventReads;
};

/**
 * Diffs two opened reports: indexes them, reads the CRL and CloudTrail sources, finds the window,
 * diffs, reconciles, and reads back the rows the output quotes. Used by `diff` and by `run`.
 */
export async function diffFiles(
  oldFile: OpenedInput,
  newFile: OpenedInput,
  cmd: DiffSettings,
  ports: DiffFilesPorts,
): Promise<{ out: DiffOutput; eventSet: EventSet | undefined; expiringSoon?: number }> {
  const ca = cmd.ca === undefined ? undefined : parseCaArn(cmd.ca);
  const inputs = inputContext(ports, ca?.region);
  const load = { findingLimit: cmd.maxFindings, ...(cmd.ca ? { expectedCa: cmd.ca } : {}) };
  // two big reports: index one in a worker thread while this thread indexes the other
  const parallel = oldFile.size + newFile.size > PARALLEL_THRESHOLD;
  const [oldIndex, newIndex, crl] = await Promise.all([
    parallel
      ? import('../io/index-worker.js').then((m) => m.loadReportInWorker(oldFile, load))
      : loadReport(oldFile, load),
    loadReport(newFile, load),
    cmd.checkedCrl !== undefined
      ? cmd.checkedCrl
      : cmd.crl === undefined
        ? undefined
        : import('../io/crl-source.js').then(async (m) => {
            const [doc, ca] = await Promise.all([
              m.readCrl(cmd.crl ?? '', inputs),
              cmd.caCertificate === undefined ? undefined : m.readCaCertificate(cmd.caCertificate, inputs),
            ]);
            const { verifyCrl } = await import('../core/reconcile/crl-verify.js');
            return { source: cmd.crl ?? '', crl: doc.crl, verification: await verifyCrl(doc, ca) };
          }),
  ]);
  if (cmd.ca === undefined && oldIndex.caArn && newIndex.caArn && oldIndex.caArn !== newIndex.caArn) {
    throw new UsageError(
      `the reports are of different CAs: "${oldFile.name}" of ${oldIndex.caArn}, "${newFile.name}" of ${newIndex.caArn}`,
      'diff two successive reports of one CA, or pass --ca to name the CA both must be of',
    );
  }
  const caArn = cmd.ca ?? newIndex.caArn ?? oldIndex.caArn;
  // when each report was made: given, else when S3 received it, else (below) from CloudTrail, else derived
  type Made = { at: number; basis: WindowBasis } | undefined;
  const first: [Made, Made] = [
    cmd.oldCreatedAt !== undefined
      ? { at: cmd.oldCreatedAt, basis: 'given' }
      : oldFile.lastModified !== undefined
        ? { at: oldFile.lastModified, basis: 's3' }
        : undefined,
    cmd.newCreatedAt !== undefined
      ? { at: cmd.newCreatedAt, basis: 'given' }
      : newFile.lastModified !== undefined
        ? { at: newFile.lastModified, basis: 's3' }
        : undefined,
  ];
  let eventSet: CollectedEvents | undefined;
  if (cmd.cloudtrail.length > 0) {
    const caInfo = caArn === undefined ? undefined : parseCaArn(caArn);
    eventSet = await (ports.events ?? eventSource(ports)).collect(cmd.cloudtrail, {
      lenient: cmd.lenient,
      region: caInfo?.region ?? ca?.region,
      ...(caInfo ? { ca: caInfo } : {}),
      from: first[0]?.at ?? oldIndex.latestInstant,
      to: first[1]?.at ?? newIndex.latestInstant,
      ...(cmd.shared ? { shared: cmd.shared } : {}),
    });
  }
  // the reconciliation's code is loaded only when there are events to reconcile
  const reconciler = eventSet === undefined ? undefined : await import('../core/reconcile/reconcile.js');
  const events = eventSet?.events ?? [];
  const made = (m: Made, source: string): Made => {
    if (m?.basis === 'given' || reconciler === undefined) return m;
    const e = reconciler.reportCreationEvent(source, events, caArn);
    return e === undefined ? m : { at: parseInstant(e.eventTime), basis: 'cloudtrail' };
  };
  const oldMade = made(first[0], oldFile.name);
  const newMade = made(first[1], newFile.name);
  if (oldMade && newMade && oldMade.at >= newMade.at) {
    throw new UsageError(
      `the old report was made at or after the new one (${formatInstant(oldMade.at)} ≥ ${formatInstant(newMade.at)})`,
      'give the older report first',
    );
  }
  // before the join frees any column: NEW's certificates expiring soon after it was made
  const expiringSoon =
    cmd.expiringWithin === undefined
      ? undefined
      : expiringEntries(newIndex, newMade?.at ?? newIndex.latestInstant ?? ports.now(), cmd.expiringWithin)
          .length;
  const plan = diffIndexes(oldIndex, newIndex, {
    findingLimit: cmd.maxFindings,
    ...(oldMade ? { oldCreatedAt: oldMade.at, oldCreatedAtBasis: oldMade.basis } : {}),
    ...(newMade ? { newCreatedAt: newMade.at, newCreatedAtBasis: newMade.basis } : {}),
  });
  // without CloudTrail or a CRL nothing needs the serials past the join: free them before rows are read back
  const freed = eventSet === undefined && crl === undefined;
  if (freed) await freeJoinColumns(oldIndex, newIndex);
  const needed = rowsForDiff(plan, oldIndex, newIndex);
  // and the rows reconcile compares with their IssueCertificateDetails
  const newNeeded =
    reconciler === undefined
      ? needed.new
      : [...new Set([...needed.new, ...reconciler.rowsForReconcile(events, newIndex, caArn)])].sort(
          (a, b) => a - b,
        );
  const oldRows = new Map(await fetchRows(oldFile, oldIndex, needed.old));
  const newRows = new Map(await fetchRows(newFile, newIndex, newNeeded));
  const extras: { reconciliation?: CloudTrailSection; crl?: ReturnType<typeof checkCrl> } = {};
  if (eventSet !== undefined && reconciler !== undefined) {
    extras.reconciliation = reconcileSection(
      reconciler.reconcile,
      cmd,
      eventSet,
      plan,
      oldIndex,
      newIndex,
      newRows,
      caArn,
    );
    // issue 16 item 5: what the sources do not cover of the window
    if (eventSet.gaps.length > 0) {
      const { gapFindings } = await import('../core/reconcile/cloudtrail/coverage.js');
      for (const f of gapFindings(eventSet.gaps)) plan.findings.add(f);
    }
  }
  if (crl !== undefined) {
    const { checkCrl } = await import('../core/reconcile/crl-check.js');
    extras.crl = checkCrl(newIndex, crl.crl, plan.findings, {
      source: crl.source,
      newCreatedAt: plan.window.to,
      allowance: cmd.propagationAllowance,
      verification: crl.verification,
      now: ports.now(),
      ...(cmd.crlMaxAge === undefined ? {} : { maxAge: cmd.crlMaxAge }),
    });
  }
  // ~40 MiB a million rows per report that nothing after the join and the reconciliation reads
  if (!freed) await freeJoinColumns(oldIndex, newIndex);
  // the rows the findings quote, beyond those already read
  const evidence = evidenceOffsets([...plan.findings.findings, ...oldIndex.findings, ...newIndex.findings]);
  const more = (have: Map<number, unknown>, offsets: number[] | undefined) =>
    (offsets ?? []).filter((o) => !have.has(o));
  for (const [k, v] of await fetchRows(oldFile, oldIndex, more(oldRows, evidence.get(oldFile.name)))) {
    oldRows.set(k, v);
  }
  for (const [k, v] of await fetchRows(newFile, newIndex, more(newRows, evidence.get(newFile.name)))) {
    newRows.set(k, v);
  }
  const rows = new Map<string, RowsByOffset>();
  rows.set(oldFile.name, oldRows);
  rows.set(newFile.name, newFile.name === oldFile.name ? new Map([...oldRows, ...newRows]) : newRows);
  const out = completeDiff(plan, oldIndex, newIndex, rows, extras);
  return { out, eventSet, ...(expiringSoon === undefined ? {} : { expiringSoon }) };
}

function reconcileSection(
  reconcile: typeof import('../core/reconcile/reconcile.js').reconcile,
  cmd: DiffSettings,
  eventSet: EventSet,
  plan: ReturnType<typeof diffIndexes>,
  oldIndex: ReportIndex,
  newIndex: ReportIndex,
  newRows: RowsByOffset,
  caArn: string | undefined,
): CloudTrailSection {
  const { stats } = eventSet;
  const summary = reconcile(plan, oldIndex, newIndex, newRows, eventSet.events, {
    caArn,
    from: plan.window.from,
    to: plan.window.to,
    propagationAllowance: cmd.propagationAllowance,
    timeTolerance: cmd.timeTolerance,
    coverage: { earliest: stats.earliest, latest: stats.latest },
    issuanceSpans: [...stats.groups.values()]
      .filter((g) => g.issuance)
      .map((g): [number, number] => [g.earliest, g.latest])
      .sort((a, b) => a[0] - b[0]),
  });
  return {
    sources: cmd.cloudtrail,
    files: stats.files,
    skippedFiles: stats.skippedFiles,
    skippedFileNames: stats.skippedFileExamples,
    records: stats.records,
    duplicates: stats.duplicates,
    eventIdCollisions: stats.collisions,
    malformed: stats.malformed,
    otherRecords: Object.values(stats.skipped).reduce((a, b) => a + b, 0),
    propagationAllowanceSeconds: cmd.propagationAllowance,
    timeToleranceSeconds: cmd.timeTolerance,
    ...summary,
  };
}

/** Malformed records skipped under --lenient: said on stderr, so it is never silent. */
export function malformedWarning(eventSet: EventSet): string {
  const { malformed, malformedExamples } = eventSet.stats;
  return `warning: skipped ${malformed} malformed CloudTrail record${malformed === 1 ? '' : 's'} (--lenient); first: ${malformedExamples[0] ?? ''}`;
}
