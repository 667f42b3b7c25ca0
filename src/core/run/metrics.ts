/**
 * A night's numbers per CA, for CloudWatch: as Embedded Metric Format lines (one JSON object per CA
 * and night, which CloudWatch Logs turns into metrics) and as PutMetricData entries. Alarms then
 * need no parsing. The numbers come from the run's summary, so a retried delivery sends the night's
 * own numbers.
 */
import { parseCaArn } from '../ca-arn.js';
import { parseInstant } from '../instant.js';
import type { RunSummary } from './run-model.js';

/** notAfter within this of the report's making: ExpiringSoon (inspect's --expiring-within default) */
export const EXPIRING_SOON_SECONDS = 30 * 86400;

export const DEFAULT_NAMESPACE = 'PcaAudit';

/** What the summary keeps for metrics, per CA (absent in summaries of earlier versions). */
export interface CaMetrics {
  /** certificates in tonight's report (absent: no report read tonight) */
  certificates?: number;
  /** of them, not revoked and with notAfter within 30 days of the report */
  expiringSoon?: number;
  /** when the last report reconciled without failing was made (tonight's, or the checkpoint's) */
  lastGoodReportAt?: string;
}

export type MetricName =
  | 'Errors'
  | 'Warnings'
  | 'Certificates'
  | 'Issued'
  | 'Revoked'
  | 'ExpiringSoon'
  | 'HoursSinceLastGoodReport';

const UNITS: Record<MetricName, 'Count' | 'None'> = {
  Errors: 'Count',
  Warnings: 'Count',
  Certificates: 'Count',
  Issued: 'Count',
  Revoked: 'Count',
  ExpiringSoon: 'Count',
  // CloudWatch has no hours unit
  HoursSinceLastGoodReport: 'None',
};

/** The dimensions every metric carries: the CA's id, its account and Region. */
export const DIMENSIONS = ['CertificateAuthority', 'Account', 'Region'] as const;

export interface CaMetricSet {
  ca: string;
  dimensions: Record<(typeof DIMENSIONS)[number], string>;
  /** epoch seconds: the run's start */
  timestamp: number;
  status: string;
  /** only the metrics known tonight, in a fixed order */
  values: Array<{ name: MetricName; unit: 'Count' | 'None'; value: number }>;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * The metrics of each CA of a run. A metric not known tonight is left out, never sent as 0:
 * Issued and Revoked only on a diffed night, Certificates and ExpiringSoon when a report was read,
 * HoursSinceLastGoodReport when the CA ever had one.
 */
export function runMetrics(s: RunSummary): CaMetricSet[] {
  const at = parseInstant(s.startedAt);
  return s.cas.map((c) => {
    const arn = parseCaArn(c.ca);
    const m = c.metrics ?? {};
    const values: CaMetricSet['values'] = [];
    const add = (name: MetricName, value: number | undefined) => {
      if (value !== undefined && Number.isFinite(value)) values.push({ name, unit: UNITS[name], value });
    };
    const failed = c.status === 'failed';
    add('Errors', failed ? undefined : c.findings.error);
    add('Warnings', failed ? undefined : c.findings.warning);
    add('Certificates', m.certificates);
    add('Issued', c.issued);
    add('Revoked', c.revoked);
    add('ExpiringSoon', m.expiringSoon);
    const good = m.lastGoodReportAt === undefined ? Number.NaN : parseInstant(m.lastGoodReportAt);
    add('HoursSinceLastGoodReport', Number.isNaN(good) ? undefined : round2(Math.max(0, at - good) / 3600));
    return {
      ca: c.ca,
      dimensions: {
        CertificateAuthority: arn?.id ?? c.ca,
        Account: arn?.account ?? '',
        Region: arn?.region ?? '',
      },
      timestamp: at,
      status: c.status,
      values,
    };
  });
}

/** One EMF line per CA (JSON, no newline inside). */
export function emfLines(s: RunSummary, namespace: string): string[] {
  return runMetrics(s).map((m) =>
    JSON.stringify({
      _aws: {
        Timestamp: m.timestamp * 1000,
        CloudWatchMetrics: [
          {
            Namespace: namespace,
            Dimensions: [[...DIMENSIONS]],
            Metrics: m.values.map((v) => ({ Name: v.name, Unit: v.unit })),
          },
        ],
      },
      ...m.dimensions,
      CertificateAuthorityArn: m.ca,
      RunId: s.runId,
      Status: m.status,
      ...Object.fromEntries(m.values.map((v) => [v.name, v.value])),
    }),
  );
}

/** A PutMetricData entry, without SDK types (the adapter makes Timestamp a Date). */
export interface MetricDatum {
  MetricName: MetricName | 'TestNotification';
  Dimensions: Array<{ Name: string; Value: string }>;
  /** epoch seconds */
  Timestamp: number;
  Value: number;
  Unit: 'Count' | 'None';
}

/** PutMetricData takes at most 1000 metrics a call. */
export const PUT_METRIC_DATA_MAX = 1000;

/** The run's metrics as PutMetricData batches of at most `max` entries. */
export function metricDataBatches(s: RunSummary, max = PUT_METRIC_DATA_MAX): MetricDatum[][] {
  const all = runMetrics(s).flatMap((m) =>
    m.values.map((v) => ({
      MetricName: v.name,
      Dimensions: DIMENSIONS.map((d) => ({ Name: d, Value: m.dimensions[d] })),
      Timestamp: m.timestamp,
      Value: v.value,
      Unit: v.unit,
    })),
  );
  const out: MetricDatum[][] = [];
  for (let i = 0; i < all.length; i += max) out.push(all.slice(i, i + max));
  return out;
}

/** A CloudWatch namespace: 1 to 255 characters, not starting with "AWS/" (AWS's own). */
export function namespaceProblem(ns: string): string | undefined {
  if (ns.length < 1 || ns.length > 255) return 'must be 1 to 255 characters';
  if (!/^[A-Za-z0-9.\-_/#:]+$/.test(ns)) return 'may hold only letters, digits and . - _ / # :';
  if (/^AWS\//i.test(ns)) return 'must not start with "AWS/" (namespaces of AWS services)';
  return undefined;
}
