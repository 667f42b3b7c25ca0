#!/usr/bin/env node
// A crash while loading or running is exit 4 like any other internal error, never 1 (which means
// "findings"), and never a stack trace.
import('../dist/cli/main.js')
  .then(
    ({ main }) => main(process.argv.slice(2)),
    (err) => {
      process.stderr.write(`pca-audit: internal error: ${err?.message ?? err}\nhint: run 'npm run build'\n`);
      return 4;
    },
  )
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`pca-audit: internal error: ${err?.message ?? err}\n`);
      process.exitCode = 4;
    },
  );
