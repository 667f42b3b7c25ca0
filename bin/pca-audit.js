#!/usr/bin/env node
// A crash while loading is exit 4 like any other internal error, never 1 (which means "findings").
import('../dist/cli/main.js').then(
  async ({ main }) => {
    process.exitCode = await main(process.argv.slice(2));
  },
  (err) => {
    process.stderr.write(`pca-audit: internal error: ${err?.message ?? err}\nhint: run 'npm run build'\n`);
    process.exitCode = 4;
  },
);
