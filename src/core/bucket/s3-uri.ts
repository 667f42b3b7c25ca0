/** `s3://bucket/key` URIs, as the AWS CLI writes them. */
export interface S3Location {
  bucket: string;
  /** the key, or the prefix when it ends with '/' (may be empty) */
  key: string;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function isS3Uri(text: string): boolean {
  return text.startsWith('s3://');
}

/** Parses an s3:// URI; returns a reason when it is not one. */
export function parseS3Uri(text: string): { ok: true; location: S3Location } | { ok: false; reason: string } {
  if (!isS3Uri(text)) return { ok: false, reason: 'does not start with s3://' };
  const rest = text.slice(5);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? '' : rest.slice(slash + 1);
  if (!BUCKET.test(bucket)) return { ok: false, reason: `"${bucket}" is not a valid bucket name` };
  return { ok: true, location: { bucket, key } };
}

export function formatS3Uri(location: S3Location): string {
  return `s3://${location.bucket}/${location.key}`;
}
