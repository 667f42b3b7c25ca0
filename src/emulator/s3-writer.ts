/**
 * Writes an object (a report, a CRL) into the S3 endpoint with a path-style PUT. Unsigned: moto_server
 * accepts it, and the emulator holds no credentials of its own; an overwrite carries a SigV4-shaped
 * header moto takes without checking (see below).
 */
export type ObjectWriter = (
  bucket: string,
  key: string,
  body: string | Uint8Array,
  contentType: string,
  /** the key may exist already (a CRL): see s3ObjectWriter */
  overwrite?: boolean,
) => Promise<void>;

export function s3ObjectWriter(endpoint: () => string): ObjectWriter {
  return async (bucket, key, body, contentType, overwrite = false) => {
    const url = `${endpoint().replace(/\/+$/, '')}/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
    const headers: Record<string, string> = { 'Content-Type': contentType };
    // moto refuses an unsigned PUT over an existing object (403); it does not check signatures, so a
    // SigV4-shaped header (with no secret behind it) lets a CRL be written again at its key
    if (overwrite) {
      headers.Authorization =
        'AWS4-HMAC-SHA256 Credential=ACMPCAEMULATOR/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0';
    }
    const response = await fetch(url, { method: 'PUT', body, headers });
    if (!response.ok) {
      throw new Error(
        `PUT s3://${bucket}/${key}: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`,
      );
    }
  };
}
