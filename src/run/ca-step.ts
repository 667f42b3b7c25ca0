/**
 * The per-CA step of `run`: read the CA's checkpoint and check its history, get the night's report
 * (made now under the 30-minute rule, or in a dry run the newest in the bucket), diff it against
 * the checkpoint's (or record a baseline), reconcile, check CRL and OCSP, write the CA's results,
 * and put its new checkpoint and alerts in the run's commit record (src/run/commit-log.ts), which
 * the orchestrator applies once every CA is done. State is read and written only through the
 * store (src/store/state-store.ts).
 */
import { generateReport, listReports } from '../aws/generate.js';
import type { CaArn } from '../core/ca-arn.js';
import { countBySeverity, FINDING_SEVERITY, type Finding } from '../core/finding.js';
import { formatInstant } from '../core/instant.js';
import { crlTrustFindings } from '../core/reconcile/crl-check.js';
import { renderDiffMarkdown } from '../core/render/markdown.js';
import type { DiffOutput } from '../core/report/report-model.js';
import { expiringEntries } from '../core/report/report-summary.js';
import {
  type Checkpoint,
  type CommitRecord,
  historyProblems,
  tamperedFindings,
} from '../core/run/checkpoint.js';
import { type CaMetrics, EXPIRING_SOON_SECONDS } from '../core/run/metrics.js';
import { alertExitCode, applyAcks, type CaResult, findingKey, splitAlerts } from '../core/run/run-model.js';
import { fetchS3 } from '../io/inputs.js';
import { loadReport } from '../io/load-report.js';
import { InputError, openReportFile } from '../io/report-source.js';
import { caStateAt, checkpointHash, fileSha256, sha256 } from '../store/fs-state-store.js';
import type { CaState, StateStore } from '../store/state-store.js';
import type { RunDeps, RunSettings } from './nightly.js';

/**
 * Checks a CA's history: the checkpoint's own hash, the chain to the previous checkpoint, and the
 * kept report's SHA-256. Returns HISTORY_TAMPERED findings (empty when all is well). `ca` is the
 * CA's state, or the directory of a CA in a local state.
 */
export async function verifyHistory(ca: CaState | string, cp: Checkpoint): Promise<Finding[]> {
  const state = typeof ca === 'string' ? caStateAt(ca) : ca;
  const previous = cp.previous === null ? undefined : await state.readHistory(cp.previous);
  const reportSha256 = await state.reportSha256(cp.reportFile);
  return tamperedFindings(cp, historyProblems(cp, previous, reportSha256, sha256));
}

/**
 * What shows that a CA without a checkpoint had one: its checkpoint was deleted (or its directory
 * moved away), not never written. History is what only a committed checkpoint leaves behind: an
 * entry in `cas/<id>/history/`, an `alerted.json`, or an applied commit record in `runs/` naming
 * the CA. A kept report alone is not: a run killed before its commit leaves the report it fetched,
 * and the re-run must record the baseline that run never did. Undefined: no history (a first run).
 */
async function historyWithoutCheckpoint(
  caState: CaState,
  committed: () => Promise<Set<string>>,
): Promise<string | undefined> {
  const entries = await caState.historyCount();
  if (entries > 0) return `${entries} earlier checkpoint(s) in history/`;
  if (await caState.hasAlerted()) return 'alerted.json records its alerts';
  if ((await committed()).has(caState.key)) return 'a committed run in runs/ recorded its checkpoint';
  return undefined;
}

export async function processCa(
  ca: CaArn,
  store: StateStore,
  runId: string,
  s: RunSettings,
  deps: RunDeps,
  commit: CommitRecord,
  committed: () => Promise<Set<string>>,
  /** called once the night's report is had (its CloudTrail reads may then start) */
  reportMade: () => void = () => {},
): Promise<CaResult> {
  const { ctx } = deps;
  const caState = store.ca(ca);
  // a checkpoint that is not valid JSON or not of a checkpoint's shape fails this CA (exit 2, the
  // file named): an unreadable checkpoint is never taken for "no checkpoint"
  const checkpoint = await caState.readCheckpoint();
  const tampered = checkpoint ? await verifyHistory(caState, checkpoint) : [];
  if (!checkpoint) {
    const history = await historyWithoutCheckpoint(caState, committed);
    // issue 13 item 1: a deleted checkpoint is not a first run, or that night's changes go unseen
    if (history !== undefined) {
      tampered.push({
        code: 'HISTORY_TAMPERED',
        severity: FINDING_SEVERITY.HISTORY_TAMPERED,
        message: `the checkpoint is missing, though the CA has history (${history}): deleted?`,
        evidence: { checkpoint: 'checkpoint.json', history },
      });
    }
  }
  let removeDownload: (() => Promise<void>) | undefined;
  const notes: string[] = [];
  try {
    // the newest report: made now (30-minute rule), or in a dry run only read from the bucket
    let report: { id: string; key: string; format: 'json' | 'csv'; createdAt: number; path: string };
    if (s.dryRun) {
      const [newest] = await listReports(await ctx.aws(), s.bucket, ca);
      if (!newest)
        throw new InputError(
          `s3://${s.bucket}/audit-report/${ca.id}/`,
          'no report to read (a dry run makes none)',
          { kind: 'report' },
        );
      // downloaded to a temporary directory, not into the state: a dry run writes no state
      const got = await fetchS3(
        `s3://${s.bucket}/${newest.key}`,
        { aws: ctx.aws, region: ca.region },
        'report',
      );
      removeDownload = got.remove;
      report = {
        id: newest.id,
        key: newest.key,
        format: newest.format,
        createdAt: got.lastModified,
        path: got.path,
      };
    } else {
      const reportsDir = await caState.reportsDir();
      const g = await generateReport(
        {
          clients: await ctx.aws(),
          now: ctx.now,
          sleep: ctx.sleep,
          note: (m) => ctx.note(`${ca.id}: ${m}`),
          progress: ctx.progress,
        },
        {
          ca,
          bucket: s.bucket,
          format: s.format,
          outDir: reportsDir,
          timeout: s.timeout,
          pollInterval: s.pollInterval,
          waitForSlot: true,
          // a fresh report of the other format is diffed as it is (JSON against CSV works), rather
          // than waited out for up to 30 minutes holding the lock
          acceptAnyFormat: true,
        },
      );
      report = { id: g.id, key: g.key, format: g.format, createdAt: g.createdAt, path: g.path };
      if (g.format !== g.requestedFormat) {
        notes.push(
          `report ${g.id} is ${g.format.toUpperCase()}, not ${g.requestedFormat.toUpperCase()}: it was made at ${formatInstant(g.createdAt)}, and AWS makes one report per CA every 30 minutes`,
        );
      }
    }
    reportMade();
    const reportSha256 = await fileSha256(report.path);
    if (!s.dryRun) await caState.keepReport(report.path);
    const next: Omit<Checkpoint, 'hash'> = {
      layout: 1,
      ca: ca.arn,
      reportId: report.id,
      bucket: s.bucket,
      key: report.key,
      format: report.format,
      createdAt: formatInstant(report.createdAt),
      reportFile: `reports/${report.id}.${report.format}`,
      reportSha256,
      // the hash of the checkpoint as it is now: after tampering is reported once, the chain holds again
      previous: checkpoint ? checkpointHash(checkpoint) : null,
      runId,
    };
    let findings: Finding[] = [...tampered];
    // issue 16 item 5: a report older than --max-report-age (a dry run reads the newest in the bucket)
    const { healthOfReport } = await import('./health-step.js');
    findings.push(...healthOfReport(ca.arn, report.createdAt, ctx.now(), s));
    // issue 15: the CA's own CRL, fetched and verified; the diff checks it against NEW
    const revocation = await deps.revocation?.(ca);
    if (revocation) {
      findings.push(...revocation.findings);
      notes.push(...revocation.notes);
    }
    let outcome: CaResult['outcome'];
    let diff: DiffOutput | undefined;
    // the night's numbers for CloudWatch; the report was reconciled once this CA does not throw
    const metrics: CaMetrics = { lastGoodReportAt: formatInstant(report.createdAt) };
    if (checkpoint && checkpoint.reportId === report.id && tampered.length === 0) {
      outcome = { status: 'unchanged', reportId: report.id };
    } else if (!checkpoint || tampered.some((f) => /kept report/.test(f.message))) {
      // a first run (or history that cannot be diffed against) records a baseline
      const file = await openReportFile(report.path);
      try {
        const index = await loadReport(file, { findingLimit: s.maxFindings, expectedCa: ca.arn });
        findings = [...findings, ...index.findings];
        metrics.certificates = index.count;
        metrics.expiringSoon = expiringEntries(index, report.createdAt, EXPIRING_SOON_SECONDS).length;
        outcome = {
          status: 'baseline',
          reportId: report.id,
          createdAt: formatInstant(report.createdAt),
          certificates: index.count,
        };
      } finally {
        await file.dispose();
      }
      ctx.note(
        `${ca.id}: ${tampered.length > 0 ? 're-baselined after a history problem' : 'first run: baseline recorded'} (report ${report.id})`,
      );
    } else {
      const night = await deps.diff(caState.reportPath(checkpoint.reportFile), report.path, {
        ca: ca.arn,
        oldCreatedAt: Date.parse(checkpoint.createdAt) / 1000,
        newCreatedAt: report.createdAt,
        cloudtrail: s.cloudtrail,
        propagationAllowance: s.propagationAllowance,
        timeTolerance: s.timeTolerance,
        maxFindings: s.maxFindings,
        lenient: s.lenient,
        ...(revocation?.crl ? { checkedCrl: revocation.crl } : {}),
        ...(s.crlMaxAge === undefined ? {} : { crlMaxAge: s.crlMaxAge }),
        expiringWithin: EXPIRING_SOON_SECONDS,
      });
      diff = night.out;
      metrics.certificates = diff.new.summary.certificates;
      if (night.expiringSoon !== undefined) metrics.expiringSoon = night.expiringSoon;
      findings = [...findings, ...diff.findings];
      // issue 15 item 4: the night's revocations, as relying parties asking OCSP are told them
      if (s.ocsp?.enabled && diff.changes.revoked.length > 0) {
        const { checkRevocationsByOcsp, ocspDepsOf } = await import('./ocsp-step.js');
        const checked = await checkRevocationsByOcsp(
          ca,
          diff.changes.revoked,
          s.ocsp,
          s.propagationAllowance,
          deps.ocsp ?? (await ocspDepsOf(ctx, s.ocsp, deps.caReads)),
        );
        findings = [...findings, ...checked.findings];
        if (checked.summary) {
          diff.ocsp = checked.summary;
          const o = checked.summary;
          notes.push(
            `OCSP ${o.url}: ${o.asked} asked, ${o.revokedAsExpected} revoked as the report says${o.notAskedUnreachable > 0 ? `, ${o.notAskedUnreachable} not asked (no answer to the first requests)` : ''}${o.expired > 0 ? `, ${o.expired} expired (not asked)` : ''}`,
          );
          if (checked.summary.sampledOut > 0)
            notes.push(
              `OCSP: ${checked.summary.asked} of ${checked.summary.asked + checked.summary.sampledOut} revoked certificates asked (--ocsp-max; chosen by the smallest SHA-256 of the serial), ${checked.summary.sampledOut} not asked`,
            );
        }
      }
      outcome = { status: 'diffed', reportId: report.id, previousReportId: checkpoint.reportId, diff };
    }
    // no diff tonight (a baseline, an unchanged report): the CA's CRL is still verified and judged
    if (!diff && revocation?.crl) {
      const c = revocation.crl;
      findings.push(
        ...crlTrustFindings(
          c.crl,
          {
            source: c.source,
            verification: c.verification,
            now: ctx.now(),
            ...(s.crlMaxAge === undefined ? {} : { maxAge: s.crlMaxAge }),
          },
          s.maxFindings,
        ),
      );
    }
    const acked = applyAcks(findings, s.acks, ctx.now()).findings;
    const omitted = diff?.omittedFindings ?? {};
    if (diff) {
      diff.findings = acked;
      diff.summary.findings = countBySeverity(acked, omitted);
    }
    const alerted = (await caState.readAlerted()) ?? {};
    // the diff keeps every finding; the night counts and alerts those the OLD report did not raise already
    const split = splitAlerts(
      ca.id,
      acked,
      alerted,
      s.failOn,
      diff ? { old: diff.old.source, new: diff.new.source } : undefined,
    );
    const { newAlerts, persistentAlerts } = split;
    const counts = countBySeverity(split.counted, omitted);
    // results first: JSON and Markdown for this CA
    const result = {
      schemaVersion: 1,
      runId,
      ca: ca.arn,
      outcome: outcome.status,
      reportId: report.id,
      findings: acked,
      counts,
      ...(diff ? { diff } : {}),
    };
    if (!s.dryRun) {
      await store.writeRunFile(runId, `${ca.id}.json`, `${JSON.stringify(result, null, 2)}\n`);
      await store.writeRunFile(
        runId,
        `${ca.id}.md`,
        diff ? renderDiffMarkdown(diff) : `## ${ca.arn}\n\n${outcome.status}: report ${report.id}\n`,
      );
      if (outcome.status !== 'unchanged')
        commit.checkpoints[caState.key] = { ...next, hash: checkpointHash(next) };
      commit.alerted[caState.key] = newAlerts.map((f) => findingKey(ca.id, f));
    }
    return {
      ca: ca.arn,
      outcome,
      newAlerts,
      persistentAlerts,
      counts,
      exitCode: alertExitCode(split, omitted, s.failOn, s.repeatAlerts),
      ...(notes.length > 0 ? { notes } : {}),
      metrics,
    };
  } finally {
    await removeDownload?.();
  }
}
