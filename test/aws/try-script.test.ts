import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { assertBuilt, ROOT } from '../e2e/cli.js';

// The README's "Try it without AWS" runs this script; it must do what the README shows.
it('scripts/try-without-aws.mjs: a baseline, then the next night finds the silent revocation', () => {
  assertBuilt();
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'try-without-aws.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 110_000,
    env: { PATH: process.env.PATH ?? '' },
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const nights = r.stdout.split('# night 2');
  expect(nights[0]).toMatch(
    /baseline recorded \(report [0-9a-f-]{36}\); 0 errors, 0 warnings, 0 info; 0 new alerts\n[\s\S]*\(exit 0\)/,
  );
  expect(nights[1]).toMatch(
    /1 issued, 2 revoked, 0 expired .*; 1 errors, 0 warnings, 0 info; 1 new alerts\n {2}note: CRL s3:\/\/audit-reports\/crl\/[0-9a-f-]{36}\.crl: thisUpdate \S+, nextUpdate \S+, 2 entries, signature verified with the CA certificate\n {2}note: OCSP http:\/\/127\.0\.0\.1:\d+\/ocsp: 2 asked, 2 revoked as the report says\n {2}error REVOKED_WITHOUT_EVENT /,
  );
  expect(nights[1]).toMatch(/\(exit 1\)\n/);
  expect(r.stdout).toMatch(/### New alerts \(1\)\n\n\| CA \| Severity \| Code \| Serial \| Message \|/);
});
