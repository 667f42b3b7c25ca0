// Preloaded by test/e2e/startup.test.ts (`node --import <this file> bin/pca-audit.js ...`): appends the
// URL of every file module the process loads to the file named by PCA_AUDIT_LOAD_LOG.
import { register } from 'node:module';

const hooks = `
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(process.env.PCA_AUDIT_LOAD_LOG, url + '\\n');
  return next(url, context);
}`;

if (process.env.PCA_AUDIT_LOAD_LOG) register(`data:text/javascript,${encodeURIComponent(hooks)}`);
