import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { ReportIndex } from '../core/report/report-index.js';
import { type LoadOptions, loadReport } from './load-report.js';
import { InputError, type ReportFile } from './report-source.js';

/**
 * Indexing is CPU-bound and the two reports of a diff are independent: one is indexed in a worker
 * thread while the main thread indexes the other. The index's typed arrays are transferred back,
 * not copied.
 */

interface Job {
  file: Omit<ReportFile, 'dispose'>;
  options: LoadOptions;
}

type Reply =
  | { ok: true; index: ReportIndex }
  | { ok: false; input?: string; message: string; stack?: string };

export function transferList(index: ReportIndex): ArrayBuffer[] {
  return [
    index.arena,
    index.serialStart,
    index.fpA,
    index.fpB,
    index.group,
    index.groupCa,
    index.groupExt,
    index.groupOtherEntry,
    index.groupOtherCa,
    index.groupOtherExt,
    index.notAfter,
    index.notAfterOtherEntry,
    index.notAfterOtherValue,
    index.revokedEntry,
    index.revokedTime,
    index.revokedReason,
    index.flags,
    index.offset,
    index.lineRunEntry,
    index.lineRunFirst,
    index.lineRunStep,
    index.table,
  ].map((a) => a.buffer as ArrayBuffer);
}

export function loadReportInWorker(file: ReportFile, options: LoadOptions): Promise<ReportIndex> {
  const { dispose: _dispose, ...plain } = file;
  const job: Job = { file: plain, options };
  const worker = new Worker(new URL(import.meta.url), { workerData: job });
  return new Promise<ReportIndex>((resolve, reject) => {
    worker.once('message', (reply: Reply) => {
      if (reply.ok) resolve(reply.index);
      else if (reply.input !== undefined) reject(new InputError(reply.input, reply.message));
      else reject(Object.assign(new Error(reply.message), { stack: reply.stack }));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`indexing worker exited with code ${code}`));
    });
  });
}

if (!isMainThread && parentPort && (workerData as Job | undefined)?.file) {
  const job = workerData as Job;
  const port = parentPort;
  loadReport({ ...job.file, dispose: async () => {} }, job.options).then(
    (index) => port.postMessage({ ok: true, index } satisfies Reply, transferList(index)),
    (err: Error) =>
      port.postMessage({
        ok: false,
        ...(err instanceof InputError ? { input: err.input } : {}),
        message: err.message,
        ...(err.stack === undefined ? {} : { stack: err.stack }),
      } satisfies Reply),
  );
}
