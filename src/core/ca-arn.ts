/** A PCA certificate authority ARN, read once: its partition, Region, account and CA id. */
export interface CaArn {
  arn: string;
  partition: string;
  region: string;
  account: string;
  /** the UUID at the end: reports land under audit-report/<id>/ */
  id: string;
}

const PATTERN =
  /^arn:(aws[a-z-]*):acm-pca:([a-z0-9-]+):(\d{12}):certificate-authority\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export function parseCaArn(text: string): CaArn | undefined {
  const m = PATTERN.exec(text.trim());
  if (!m) return undefined;
  return { arn: m[0]!, partition: m[1]!, region: m[2]!, account: m[3]!, id: m[4]! };
}

export function reportPrefix(ca: CaArn): string {
  return `audit-report/${ca.id}/`;
}

/** A report's id and format from its key `audit-report/<CA_ID>/<id>.json|.csv`, or undefined. */
export function reportKeyInfo(key: string): { id: string; format: 'json' | 'csv' } | undefined {
  const m = /\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(json|csv)$/.exec(key);
  return m ? { id: m[1]!, format: m[2] as 'json' | 'csv' } : undefined;
}

/** AWS allows one audit report per CA every 30 minutes. */
export const REPORT_INTERVAL_SECONDS = 30 * 60;
