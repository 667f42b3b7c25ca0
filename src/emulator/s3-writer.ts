/**
 * Writes a report object into the S3 endpoint with a path-style PUT. Unsigned: moto_server accepts
 * it, and the emulator holds no credentials of its own.
 */
export type ObjectWriter = (bucket: string, key: string, body: string, contentType: string) => Promise<void>;

export function s3ObjectWriter(endpoint: () => string): ObjectWriter {
  return async (bucket, key, body, contentType) => {
    const url = `${endpoint().replace(/\/+$/, '')}/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
    const response = await fetch(url, { method: 'PUT', body, headers: { 'Content-Type': contentType } });
    if (!response.ok) {
      throw new Error(
        `PUT s3://${bucket}/${key}: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`,
      );
    }
  };
}
