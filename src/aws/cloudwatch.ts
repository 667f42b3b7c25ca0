/**
 * CloudWatch PutMetricData for run's metrics (--cloudwatch-namespace / --put-metric-data). Loaded
 * only when a run sends metrics.
 */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { MetricDatum } from '../core/run/metrics.js';
import type { ClientConfig } from './clients.js';
import { call } from './errors.js';

/** Sends each batch (at most 1000 metrics) with one PutMetricData call. */
export async function putMetricData(
  config: ClientConfig,
  namespace: string,
  batches: readonly MetricDatum[][],
): Promise<void> {
  const client = new CloudWatchClient(config);
  try {
    for (const batch of batches) {
      await call('cloudwatch:PutMetricData', () =>
        client.send(
          new PutMetricDataCommand({
            Namespace: namespace,
            MetricData: batch.map((d) => ({ ...d, Timestamp: new Date(d.Timestamp * 1000) })),
          }),
        ),
      );
    }
  } finally {
    client.destroy();
  }
}
