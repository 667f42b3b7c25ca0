#!/usr/bin/env node
// Builds the native indexer (native/, binding.gyp) with node-gyp: part of `npm run build`.
//
// Without a C++ toolchain or Node's headers the build fails; pca-audit then runs on its TypeScript
// core alone (same results, slower), so this script only warns, unless PCA_AUDIT_REQUIRE_NATIVE=1
// (CI sets it) makes a failed build fail.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const required = process.env.PCA_AUDIT_REQUIRE_NATIVE === '1';
// npm puts its own node-gyp on the PATH of scripts, and names it in npm_config_node_gyp
const gyp = process.env.npm_config_node_gyp;
const run = (args) =>
  gyp
    ? spawnSync(process.execPath, [gyp, ...args], { cwd: ROOT, stdio: 'inherit' })
    : spawnSync('node-gyp', args, { cwd: ROOT, stdio: 'inherit' });

// configure once; later builds are incremental
const configured =
  existsSync(join(ROOT, 'build', 'Makefile')) || existsSync(join(ROOT, 'build', 'config.gypi'));
let result = run(configured ? ['build', '--loglevel=warn'] : ['rebuild', '--loglevel=warn']);
if (result.status !== 0 && configured) result = run(['rebuild', '--loglevel=warn']);
if (result.status !== 0) {
  const why = result.error ? result.error.message : `node-gyp exited with ${result.status}`;
  if (required) {
    console.error(`build-native: the native indexer did not build (${why})`);
    process.exit(1);
  }
  console.error(
    `build-native: warning: the native indexer did not build (${why}); pca-audit will use its slower TypeScript indexer`,
  );
}
