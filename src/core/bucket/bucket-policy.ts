/**
 * Does a bucket policy let ACM PCA write this CA's reports? Evaluates the statements the way S3
 * would for the service principal: an explicit Deny wins, an Allow must cover the action, the
 * resource and (when present) the aws:SourceAccount / aws:SourceArn conditions.
 */

export const PCA_PRINCIPAL = 'acm-pca.amazonaws.com';
export const REPORT_ACTIONS = ['s3:PutObject', 's3:PutObjectAcl', 's3:GetBucketAcl', 's3:GetBucketLocation'];

export interface PolicyRequest {
  action: string;
  /** the resource ARN: arn:aws:s3:::bucket or arn:aws:s3:::bucket/key */
  resource: string;
  sourceAccount: string;
  sourceArn: string;
}

type Json = unknown;

const asList = (v: Json): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** IAM wildcard match: `*` any run, `?` one character; case-sensitive except where noted. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  const re = new RegExp(
    `^${p
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    's',
  );
  return re.test(v);
}

function principalMatches(principal: Json): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const p = principal as Record<string, Json>;
  if (asList(p.AWS).includes('*')) return true;
  return asList(p.Service).some((s) => s === PCA_PRINCIPAL);
}

function listMatches(patterns: Json, value: string, ignoreCase: boolean): boolean {
  return asList(patterns).some((p) => typeof p === 'string' && wildcardMatch(p, value, ignoreCase));
}

const CONTEXT_KEYS: Record<string, keyof PolicyRequest> = {
  'aws:sourceaccount': 'sourceAccount',
  'aws:sourcearn': 'sourceArn',
};

/** Conditions on keys we know are evaluated; any other key makes the statement unknown. */
function conditionsHold(condition: Json, req: PolicyRequest): boolean | 'unknown' {
  if (condition === undefined) return true;
  if (typeof condition !== 'object' || condition === null) return 'unknown';
  for (const [op, block] of Object.entries(condition as Record<string, Json>)) {
    if (typeof block !== 'object' || block === null) return 'unknown';
    for (const [key, values] of Object.entries(block as Record<string, Json>)) {
      const field = CONTEXT_KEYS[key.toLowerCase()];
      if (field === undefined) return 'unknown';
      const actual = req[field];
      const list = asList(values).filter((v): v is string => typeof v === 'string');
      let ok: boolean;
      switch (op) {
        case 'StringEquals':
        case 'ArnEquals':
          ok = list.includes(actual);
          break;
        case 'StringLike':
        case 'ArnLike':
          ok = list.some((v) => wildcardMatch(v, actual));
          break;
        case 'StringNotEquals':
        case 'ArnNotEquals':
          ok = !list.includes(actual);
          break;
        case 'StringNotLike':
        case 'ArnNotLike':
          ok = !list.some((v) => wildcardMatch(v, actual));
          break;
        case 'StringEqualsIgnoreCase':
          ok = list.some((v) => v.toLowerCase() === actual.toLowerCase());
          break;
        default:
          return 'unknown';
      }
      if (!ok) return false;
    }
  }
  return true;
}

/**
 * `denied`: an explicit Deny statement (its Sid, or its position) matched. Only an edit of that
 * statement can let the CA write: adding or rewriting an Allow (all bootstrap does) cannot.
 */
export type Decision =
  | { allowed: true; sid?: string }
  | { allowed: false; why: string; sid?: string; denied?: { statement: string; action: string } };

/** Evaluates one request against a policy document (already parsed JSON). */
export function evaluate(policy: Json, req: PolicyRequest): Decision {
  if (typeof policy !== 'object' || policy === null)
    return { allowed: false, why: 'the policy is not a JSON object' };
  const statements = asList((policy as Record<string, Json>).Statement);
  let allow: Decision | undefined;
  let unknown: string | undefined;
  for (const [n, s] of statements.entries()) {
    if (typeof s !== 'object' || s === null) continue;
    const st = s as Record<string, Json>;
    const sid = typeof st.Sid === 'string' ? st.Sid : undefined;
    if (st.NotPrincipal !== undefined || st.NotAction !== undefined || st.NotResource !== undefined) {
      unknown = `statement ${sid ?? '(no Sid)'} uses NotPrincipal/NotAction/NotResource, which is not evaluated`;
      continue;
    }
    if (!principalMatches(st.Principal)) continue;
    if (!listMatches(st.Action, req.action, true)) continue;
    if (!listMatches(st.Resource, req.resource, false)) continue;
    const cond = conditionsHold(st.Condition, req);
    if (cond === 'unknown') {
      unknown = `statement ${sid ?? '(no Sid)'} has a condition pca-audit does not evaluate`;
      continue;
    }
    if (!cond) continue;
    if (st.Effect === 'Deny') {
      return {
        allowed: false,
        why: `denied by statement ${sid ?? '(no Sid)'}`,
        ...(sid ? { sid } : {}),
        denied: { statement: statementName(sid, n), action: req.action },
      };
    }
    if (st.Effect === 'Allow') allow ??= { allowed: true, ...(sid ? { sid } : {}) };
  }
  if (allow) return allow;
  return {
    allowed: false,
    why: unknown ?? `no statement allows ${PCA_PRINCIPAL} ${req.action} on ${req.resource}`,
  };
}

/** Every permission the CA needs to deliver a report into the bucket, checked; the first failure. */
export function caCanWrite(policy: Json, bucket: string, caArn: string, account: string): Decision {
  return caCan(policy, REPORT_ACTIONS, bucket, 'audit-report/x.json', caArn, account);
}

/**
 * What PCA needs to publish a CRL (issue 15 item 4): s3:PutObject of the CRL's key, s3:GetBucketAcl
 * and s3:GetBucketLocation, under the same aws:SourceAccount/aws:SourceArn conditions as reports.
 */
export const CRL_ACTIONS = ['s3:PutObject', 's3:GetBucketAcl', 's3:GetBucketLocation'];

export function caCanPublishCrl(
  policy: Json,
  bucket: string,
  key: string,
  caArn: string,
  account: string,
): Decision {
  return caCan(policy, CRL_ACTIONS, bucket, key, caArn, account);
}

function caCan(
  policy: Json,
  actions: readonly string[],
  bucket: string,
  key: string,
  caArn: string,
  account: string,
): Decision {
  for (const action of actions) {
    const resource = action.startsWith('s3:Put') ? `arn:aws:s3:::${bucket}/${key}` : `arn:aws:s3:::${bucket}`;
    const d = evaluate(policy, { action, resource, sourceAccount: account, sourceArn: caArn });
    if (!d.allowed) return d;
  }
  return { allowed: true };
}

/** How a message names a statement: its Sid, else its position in the list. */
function statementName(sid: string | undefined, index: number): string {
  return sid ?? `#${index + 1} (no Sid)`;
}

/** The condition keys that tie a service principal's request to the caller's own resources. */
const SOURCE_KEYS = new Set(['aws:sourceaccount', 'aws:sourcearn', 'aws:sourceorgid', 'aws:sourceorgpaths']);
/** Operators under which a source key narrows who may act (IfExists variants do not: a missing key passes). */
const NARROWING = new Set([
  'StringEquals',
  'StringLike',
  'ArnEquals',
  'ArnLike',
  'StringEqualsIgnoreCase',
  'ForAnyValue:StringLike',
  'ForAnyValue:StringEquals',
]);

/** Whether a Condition ties the request to named source accounts, CAs or organisations. */
function narrowsSource(condition: Json): boolean {
  if (typeof condition !== 'object' || condition === null) return false;
  for (const [op, block] of Object.entries(condition as Record<string, Json>)) {
    if (!NARROWING.has(op) || typeof block !== 'object' || block === null) continue;
    for (const [key, values] of Object.entries(block as Record<string, Json>)) {
      if (!SOURCE_KEYS.has(key.toLowerCase())) continue;
      const list = asList(values);
      // a lone "*" names every source: no narrowing at all
      if (list.length > 0 && list.every((v) => typeof v === 'string' && v !== '' && v !== '*')) return true;
    }
  }
  return false;
}

/**
 * Allow statements that let acm-pca.amazonaws.com act on this bucket without an aws:SourceAccount,
 * aws:SourceArn (or aws:SourceOrgID) condition: any account's CA could then write into the bucket
 * (the confused deputy problem). Their Sids (or positions), in policy order.
 */
export function unconditionedServiceGrants(policy: Json, bucket: string): string[] {
  if (typeof policy !== 'object' || policy === null) return [];
  const out: string[] = [];
  const bucketResource = `arn:aws:s3:::${bucket}`;
  const objectResource = `arn:aws:s3:::${bucket}/audit-report/x.json`;
  for (const [n, s] of asList((policy as Record<string, Json>).Statement).entries()) {
    if (typeof s !== 'object' || s === null) continue;
    const st = s as Record<string, Json>;
    if (st.Effect !== 'Allow') continue;
    const p = st.Principal;
    const service =
      typeof p === 'object' &&
      p !== null &&
      asList((p as Record<string, Json>).Service).includes(PCA_PRINCIPAL);
    if (!service) continue;
    const acts = REPORT_ACTIONS.some((a) => listMatches(st.Action, a, true));
    const here =
      listMatches(st.Resource, bucketResource, false) || listMatches(st.Resource, objectResource, false);
    if (!acts || !here || narrowsSource(st.Condition)) continue;
    out.push(statementName(typeof st.Sid === 'string' ? st.Sid : undefined, n));
  }
  return out;
}
