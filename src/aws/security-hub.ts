/**
 * Security Hub BatchImportFindings and BatchUpdateFindings for run's `--security-hub` channel.
 * Loaded only when a run imports findings.
 */
import {
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { type AsffFinding, batches, type WorkflowUpdate } from '../core/run/asff.js';
import type { ClientConfig } from './clients.js';
import { call } from './errors.js';

export interface FailedFinding {
  id: string;
  errorCode: string;
  errorMessage: string;
}

/** Imports the findings, at most 100 a call; returns those Security Hub refused one by one. */
export async function importFindings(
  config: ClientConfig,
  findings: readonly AsffFinding[],
): Promise<FailedFinding[]> {
  const client = new SecurityHubClient(config);
  const failed: FailedFinding[] = [];
  try {
    for (const batch of batches(findings)) {
      const out = await call('securityhub:BatchImportFindings', () =>
        // ASFF as built in core; the SDK's type is the same shape, with Dates as ISO strings
        client.send(new BatchImportFindingsCommand({ Findings: batch as never })),
      );
      for (const f of out.FailedFindings ?? [])
        failed.push({ id: f.Id ?? '', errorCode: f.ErrorCode ?? '', errorMessage: f.ErrorMessage ?? '' });
    }
    return failed;
  } finally {
    client.destroy();
  }
}

/** BatchUpdateFindings' pca-audit signs its notes with. */
export const NOTE_UPDATED_BY = 'pca-audit';

/**
 * Sets the findings' Workflow status with a note saying why, at most 100 a call; returns those
 * Security Hub did not update (UnprocessedFindings).
 */
export async function updateWorkflow(
  config: ClientConfig,
  updates: readonly WorkflowUpdate[],
): Promise<FailedFinding[]> {
  const client = new SecurityHubClient(config);
  const failed: FailedFinding[] = [];
  try {
    for (const u of updates)
      for (const batch of batches(u.findings)) {
        const out = await call('securityhub:BatchUpdateFindings', () =>
          client.send(
            new BatchUpdateFindingsCommand({
              FindingIdentifiers: batch,
              Workflow: { Status: u.status },
              Note: { Text: u.note, UpdatedBy: NOTE_UPDATED_BY },
            }),
          ),
        );
        for (const f of out.UnprocessedFindings ?? [])
          failed.push({
            id: f.FindingIdentifier?.Id ?? '',
            errorCode: f.ErrorCode ?? '',
            errorMessage: f.ErrorMessage ?? '',
          });
      }
    return failed;
  } finally {
    client.destroy();
  }
}
