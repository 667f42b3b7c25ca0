/**
 * The targets of one `run` over an organisation (issue 16 item 1): the config file's `accounts`,
 * validated strictly, and planned into (account, Region) targets, each with its bucket (given or
 * expanded from a pattern), how to get its credentials, and its CAs (listed, or "all" it sees).
 *
 * Pure: the CLI reads the file and turns a problem into a usage error naming the file and the JSON
 * path (`accounts[1].regions[0]`).
 */
import { type CaArn, parseCaArn } from '../ca-arn.js';

/** One entry of `accounts`, as validated. */
export interface AccountEntry {
  accountId?: string;
  roleArn?: string;
  externalId?: string;
  sessionName?: string;
  regions: string[];
  bucket?: string;
  bucketPattern?: string;
  cas: string[] | 'all';
}

/** One (account, Region) the run audits. */
export interface Target {
  /** the account; absent: whatever the default credentials are (no accountId nor roleArn given) */
  account?: string;
  region: string;
  bucket: string;
  /** assumed from the default credentials; absent: the default credentials themselves */
  roleArn?: string;
  externalId?: string;
  sessionName?: string;
  /** the CAs to audit, or every ACTIVE/DISABLED CA the target's credentials list in its Region */
  cas: CaArn[] | 'all';
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; path: string; reason: string };

const ENTRY_KEYS = new Set([
  'accountId',
  'roleArn',
  'externalId',
  'sessionName',
  'regions',
  'bucket',
  'bucketPattern',
  'cas',
]);

const ACCOUNT = /^\d{12}$/;
/** An IAM role ARN (any partition); the account is group 2. */
const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;
/** AWS Region names: eu-west-1, us-gov-west-1, cn-north-1, ap-southeast-5, us-isob-east-1 … */
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
/** STS: 2 to 1224 characters of [\w+=,.@:/-] */
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
/** STS: 2 to 64 characters of [\w+=,.@-] */
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const PLACEHOLDER = /\{([^{}]*)\}/g;
const PLACEHOLDERS = new Set(['account', 'region']);

/** Why `name` is not a valid (general purpose) S3 bucket name, or undefined when it is one. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'may hold only lowercase letters, digits, dots and hyphens';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name))
    return 'must start and end with a letter or a digit';
  if (name.includes('..')) return 'must not hold two dots in a row';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'must not look like an IP address';
  if (name.startsWith('xn--') || name.startsWith('sthree-')) return 'must not start with xn-- or sthree-';
  if (name.endsWith('-s3alias') || name.endsWith('--ol-s3')) return 'must not end with -s3alias or --ol-s3';
  return undefined;
}

/** The pattern with {account} and {region} filled in. */
export function expandBucketPattern(pattern: string, account: string, region: string): string {
  return pattern.replace(PLACEHOLDER, (_, name: string) => (name === 'account' ? account : region));
}

const fail = (path: string, reason: string): { ok: false; path: string; reason: string } => ({
  ok: false,
  path,
  reason,
});

const show = (v: unknown) => JSON.stringify(v);

/** The account an entry stands for: accountId, else the role ARN's; undefined: the default one. */
export function entryAccount(e: Pick<AccountEntry, 'accountId' | 'roleArn'>): string | undefined {
  return e.accountId ?? (e.roleArn ? ROLE_ARN.exec(e.roleArn)?.[2] : undefined);
}

function parseEntry(v: unknown, at: string): Parsed<AccountEntry> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(at, 'must be a JSON object');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!ENTRY_KEYS.has(k))
      return fail(`${at}.${k}`, `is not a key of an account (${[...ENTRY_KEYS].join(', ')})`);
  const str = (k: string, pattern: RegExp, what: string): Parsed<string | undefined> => {
    const x = o[k];
    if (x === undefined) return { ok: true, value: undefined };
    if (typeof x !== 'string' || !pattern.test(x)) return fail(`${at}.${k}`, `${show(x)} is not ${what}`);
    return { ok: true, value: x };
  };
  const accountId = str('accountId', ACCOUNT, 'an account id (12 digits)');
  if (!accountId.ok) return accountId;
  const roleArn = str('roleArn', ROLE_ARN, 'an IAM role ARN (arn:aws:iam::<account>:role/<name>)');
  if (!roleArn.ok) return roleArn;
  const externalId = str('externalId', EXTERNAL_ID, 'an external id (2 to 1224 of A-Z a-z 0-9 +=,.@:/-_)');
  if (!externalId.ok) return externalId;
  const sessionName = str('sessionName', SESSION_NAME, 'a session name (2 to 64 of A-Z a-z 0-9 +=,.@-_)');
  if (!sessionName.ok) return sessionName;
  const roleAccount = roleArn.value ? ROLE_ARN.exec(roleArn.value)![2] : undefined;
  if (accountId.value && roleAccount && roleAccount !== accountId.value)
    return fail(`${at}.roleArn`, `names account ${roleAccount}, but accountId is ${accountId.value}`);
  if (!roleArn.value && (externalId.value || sessionName.value))
    return fail(`${at}.${externalId.value ? 'externalId' : 'sessionName'}`, 'needs a roleArn to assume');
  const regions = o.regions;
  if (!Array.isArray(regions) || regions.length === 0)
    return fail(`${at}.regions`, 'must be a non-empty list of Regions');
  const seen = new Set<string>();
  for (const [i, r] of regions.entries()) {
    if (typeof r !== 'string' || !REGION.test(r))
      return fail(`${at}.regions[${i}]`, `${show(r)} is not a Region (like eu-west-1)`);
    if (seen.has(r)) return fail(`${at}.regions[${i}]`, `${show(r)} is listed twice`);
    seen.add(r);
  }
  const account = accountId.value ?? roleAccount;
  const { bucket, bucketPattern } = o;
  if ((bucket === undefined) === (bucketPattern === undefined))
    return fail(at, 'give exactly one of "bucket" and "bucketPattern"');
  if (bucket !== undefined) {
    const problem = typeof bucket === 'string' ? bucketNameProblem(bucket) : 'must be a string';
    if (problem) return fail(`${at}.bucket`, `${show(bucket)} is not a bucket name: ${problem}`);
    if (regions.length > 1)
      return fail(
        `${at}.bucket`,
        'one bucket cannot serve several Regions (PCA writes reports only to a bucket of the CA\'s Region): use "bucketPattern" with {region}',
      );
  } else {
    if (typeof bucketPattern !== 'string') return fail(`${at}.bucketPattern`, 'must be a string');
    for (const m of bucketPattern.matchAll(PLACEHOLDER)) {
      if (!PLACEHOLDERS.has(m[1]!))
        return fail(
          `${at}.bucketPattern`,
          `${show(bucketPattern)}: unknown placeholder {${m[1]}} (known: {account}, {region})`,
        );
    }
    if (/[{}]/.test(bucketPattern.replace(PLACEHOLDER, '')))
      return fail(`${at}.bucketPattern`, `${show(bucketPattern)}: an unmatched { or }`);
    if (bucketPattern.includes('{account}') && account === undefined)
      return fail(
        `${at}.bucketPattern`,
        'uses {account}, but the entry names no account (accountId or roleArn)',
      );
    for (const r of regions as string[]) {
      const name = expandBucketPattern(bucketPattern, account ?? '', r);
      const problem = bucketNameProblem(name);
      if (problem)
        return fail(`${at}.bucketPattern`, `gives ${show(name)} for ${r}, not a bucket name: ${problem}`);
    }
    if (regions.length > 1 && !bucketPattern.includes('{region}'))
      return fail(`${at}.bucketPattern`, 'gives one bucket for several Regions: add {region}');
  }
  let cas: string[] | 'all' = 'all';
  if (o.cas !== undefined && o.cas !== 'all') {
    if (!Array.isArray(o.cas) || o.cas.length === 0)
      return fail(`${at}.cas`, 'must be "all" or a non-empty list of CA ARNs');
    cas = [];
    for (const [i, c] of o.cas.entries()) {
      const ca = typeof c === 'string' ? parseCaArn(c) : undefined;
      if (!ca) return fail(`${at}.cas[${i}]`, `${show(c)} is not a CA ARN`);
      if (!seen.has(ca.region))
        return fail(
          `${at}.cas[${i}]`,
          `is in ${ca.region}, not in one of the entry's Regions (${[...seen].join(', ')})`,
        );
      if (account !== undefined && ca.account !== account)
        return fail(`${at}.cas[${i}]`, `is of account ${ca.account}, not of the entry's account ${account}`);
      cas.push(ca.arn);
    }
  }
  return {
    ok: true,
    value: {
      ...(accountId.value ? { accountId: accountId.value } : {}),
      ...(roleArn.value ? { roleArn: roleArn.value } : {}),
      ...(externalId.value ? { externalId: externalId.value } : {}),
      ...(sessionName.value ? { sessionName: sessionName.value } : {}),
      regions: regions as string[],
      ...(typeof bucket === 'string' ? { bucket } : {}),
      ...(typeof bucketPattern === 'string' ? { bucketPattern } : {}),
      cas,
    },
  };
}

/** The config file's `accounts`, validated; a problem names its JSON path. */
export function parseAccounts(v: unknown): Parsed<AccountEntry[]> {
  if (!Array.isArray(v) || v.length === 0) return fail('accounts', 'must be a non-empty list of accounts');
  const out: AccountEntry[] = [];
  const targets = new Map<string, string>();
  for (const [i, item] of v.entries()) {
    const at = `accounts[${i}]`;
    const e = parseEntry(item, at);
    if (!e.ok) return e;
    // one (account, Region) audited twice would race on its CAs' state
    for (const [j, r] of e.value.regions.entries()) {
      const key = `${entryAccount(e.value) ?? 'default'}|${r}`;
      const before = targets.get(key);
      if (before !== undefined)
        return fail(
          `${at}.regions[${j}]`,
          `${r} of account ${entryAccount(e.value) ?? '(default credentials)'} is already audited by ${before}`,
        );
      targets.set(key, at);
    }
    out.push(e.value);
  }
  return { ok: true, value: out };
}

/** The (account, Region) targets of the accounts, in the config's order. */
export function planTargets(accounts: readonly AccountEntry[]): Target[] {
  const out: Target[] = [];
  for (const e of accounts) {
    const account = entryAccount(e);
    for (const region of e.regions) {
      out.push({
        ...(account === undefined ? {} : { account }),
        region,
        bucket: e.bucket ?? expandBucketPattern(e.bucketPattern!, account ?? '', region),
        ...(e.roleArn ? { roleArn: e.roleArn } : {}),
        ...(e.externalId ? { externalId: e.externalId } : {}),
        ...(e.sessionName ? { sessionName: e.sessionName } : {}),
        cas: e.cas === 'all' ? 'all' : e.cas.map((a) => parseCaArn(a)!).filter((ca) => ca.region === region),
      });
    }
  }
  return out;
}

/** A target as the summary names it: `<account>/<region>`, or `default/<region>`. */
export function targetName(t: Pick<Target, 'account' | 'region'>): string {
  return `${t.account ?? 'default'}/${t.region}`;
}
