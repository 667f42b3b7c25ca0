import type { AwsClients } from '../aws/clients.js';

/**
 * What the nightly job needs of its shell: the AWS clients (of the run's credentials, or of one
 * target's), the clock, and lines for a human. The application layer's context (src/app/ports.ts)
 * is one; the job imports nothing of the layers above it.
 */
export interface RunContext {
  aws(): Promise<AwsClients>;
  /** epoch seconds */
  now(): number;
  sleep(seconds: number): Promise<void>;
  note(message: string): void;
  progress(message: string): void;
}
