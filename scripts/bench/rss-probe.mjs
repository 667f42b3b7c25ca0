// Preloaded by the benchmark (`node --import <this file> bin/pca-audit.js ...`): when the process exits,
// writes its peak resident set size in KiB to the file named by PCA_AUDIT_BENCH_RSS_FILE.
// resourceUsage().maxRSS is getrusage(RUSAGE_SELF): the whole process, worker threads included.
import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const file = process.env.PCA_AUDIT_BENCH_RSS_FILE;

// Workers inherit --import; only the main thread reports, and it exits last.
if (file && isMainThread) {
  process.on('exit', () => {
    try {
      writeFileSync(file, `${process.resourceUsage().maxRSS}\n`);
    } catch {
      // The runner reports a missing measurement; never change the CLI's exit code from here.
    }
  });
}
