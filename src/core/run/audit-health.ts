/**
 * Findings on the job itself, not on certificates (issue 16 item 5): a CA whose newest successful
 * report is too old (REPORT_STALE), and a CA whose report of the night ended FAILED
 * (AUDIT_REPORT_FAILED). They carry the CA, never a serial. Their messages stay the same from night
 * to night while the cause does (the last good report, the diagnosis), so a CA failing night after
 * night is one alert, then a persistent one; the age and the report id are in the evidence.
 */
import { FINDING_SEVERITY, type Finding } from '../finding.js';
import { findingMessage } from '../finding-catalogue.js';
import { formatInstant } from '../instant.js';

/** doctor's `--max-report-age` default, and run's */
export const DEFAULT_MAX_REPORT_AGE_SECONDS = 36 * 3600;

function hours(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600} h` : `${(seconds / 3600).toFixed(1)} h`;
}

/**
 * REPORT_STALE when the newest successful report of the CA (tonight's, or else the last one the job
 * reconciled: the checkpoint's) was made more than `maxAge` before `now`; for a CA that never had
 * one, the job's first try of it. Undefined when it is fresh, or when there is nothing to date from.
 */
export function reportStale(o: {
  caArn: string;
  now: number;
  maxAge: number;
  /** createdAt of the newest successful report (epoch seconds); undefined: none known */
  newest: number | undefined;
  /** whether tonight's report failed (the newest is then the checkpoint's) */
  failedTonight: boolean;
  /**
   * when the job first tried the CA, for a CA that never had a good report (no checkpoint): the
   * silence is dated from there (`newest` is then undefined)
   */
  firstTried?: number;
}): Finding | undefined {
  const since = o.newest ?? o.firstTried;
  if (since === undefined || !(o.now - since > o.maxAge)) return undefined;
  const age = o.now - since;
  return {
    code: 'REPORT_STALE',
    severity: FINDING_SEVERITY.REPORT_STALE,
    message: findingMessage(
      'REPORT_STALE',
      o.newest !== undefined
        ? { newest: formatInstant(o.newest), maxAge: hours(o.maxAge) }
        : { firstTried: formatInstant(since), maxAge: hours(o.maxAge) },
    ),
    evidence: {
      health: {
        ca: o.caArn,
        ...(o.newest === undefined
          ? { firstTriedAt: formatInstant(since) }
          : { newestReportAt: formatInstant(o.newest) }),
        ageSeconds: Math.round(age),
        maxReportAgeSeconds: o.maxAge,
        failedTonight: o.failedTonight,
      },
    },
  };
}

/** AUDIT_REPORT_FAILED: the report the job asked for tonight ended FAILED, with the diagnosis. */
export function auditReportFailed(o: {
  caArn: string;
  reportId: string;
  status: string;
  causes: readonly string[];
}): Finding {
  return {
    code: 'AUDIT_REPORT_FAILED',
    severity: FINDING_SEVERITY.AUDIT_REPORT_FAILED,
    message: findingMessage('AUDIT_REPORT_FAILED', { status: o.status, causes: o.causes }),
    evidence: { health: { ca: o.caArn, reportId: o.reportId, status: o.status, causes: [...o.causes] } },
  };
}
