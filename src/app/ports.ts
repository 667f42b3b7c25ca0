/**
 * The ports of the use cases (src/app): what a use case needs from the world, and nothing about where
 * it comes from. The CLI (src/cli) builds them from argv, the process's streams and the environment; a
 * test builds them from memory. Layers: cli -> app -> run -> store -> io -> aws -> fs -> core; nothing points
 * upward (test/unit/layers.test.ts). `src/app/sources.ts` builds the source ports on the real inputs.
 */

import type { AssumedRole, AwsClients } from '../aws/clients.js';
import type { CollectedEvents, EventSourceContext } from '../io/event-inputs.js';
import type { OpenedInput } from '../io/inputs.js';

/** A text stream a use case writes to (the process's stdout or stderr, or a test's buffer). */
export interface TextSink {
  /**
   * Resolves once `text` is handed over. A reader that went away (EPIPE: `| head`) is not an error;
   * any other failure rejects with an error naming the stream.
   */
  write(text: string): Promise<void>;
  /** a terminal: colour and progress lines may be used */
  readonly isTTY: boolean;
  /** its width in columns, when it is a terminal */
  readonly columns?: number | undefined;
}

/** What the process gives a command: its two streams and its environment. */
export interface Streams {
  /** the product: reports, summaries, policies (or --output FILE instead, see Output) */
  readonly stdout: TextSink;
  /** lines for a human: notes, warnings, progress, errors */
  readonly stderr: TextSink;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The clock: epoch seconds, and waiting. */
export interface Clock {
  now(): number;
  sleep(seconds: number): Promise<void>;
}

/** Lines for a human on stderr; never the product. */
export interface Diagnostics {
  /** a line (`pca-audit: …`), its text made safe for a terminal */
  note(message: string): void;
  /** transient progress, only on a terminal ('' clears it) */
  progress(message: string): void;
}

/** The one way a command's product leaves: to stdout, or to --output FILE (atomically, --force to replace). */
export interface Output {
  /** the whole product, or its parts in order */
  emit(product: string | AsyncIterable<string>): Promise<void>;
  /** whether text output may be coloured: a terminal, no --output, NO_COLOR unset */
  readonly color: boolean;
}

/** The AWS clients; the SDK is loaded on first use, so a use case that needs none never loads it. */
export interface AwsAccess {
  aws(): Promise<AwsClients>;
}

/**
 * How a report's location (a file, `-` for stdin, or s3://bucket/key) becomes an opened file, read
 * by the report readers; the caller disposes of it (an S3 object's temporary copy is removed then).
 */
export interface ReportSource {
  /** `region`: the Region for S3 when nothing else tells (the CA's) */
  open(location: string, where?: { region?: string | undefined }): Promise<OpenedInput>;
}

/** What an event read asks for: the window, the CA, and how (see EventSourceContext). */
export type EventQuery = Omit<EventSourceContext, 'inputs' | 'now' | 'sleep' | 'progress'> & {
  /** the Region for S3 and LookupEvents when nothing else tells (the CA's) */
  region?: string | undefined;
};

/**
 * CloudTrail sources (files, directories, `-`, s3:// objects, trail buckets, `lookup`) read into
 * the events of interest, their statistics and the parts of the window they do not cover.
 */
export interface EventSource {
  collect(sources: readonly string[], query: EventQuery): Promise<CollectedEvents>;
}

/**
 * AWS: the clients of the default credentials (the SDK loaded on first use, so local-only commands
 * start fast and lean), and those of one (account, Region) target (issue 16): the target's Region,
 * the role's credentials assumed from the default chain (none: the default credentials).
 */
export interface Aws extends AwsAccess {
  awsFor?(region: string, role?: AssumedRole): Promise<AwsClients>;
}

/** What a use case gets from its shell: the clock, lines for a human, AWS, the streams. */
export interface AppContext extends Clock, Diagnostics, Aws {
  /** stdout, stderr and the environment: the process's, or a test's (in-process runs) */
  readonly streams: Streams;
}

/**
 * The ports of the nightly job, defined where the job is (src/run and src/store, below this layer):
 * the state (a directory or an S3 prefix, one contract) and the notification's channels.
 */
export type { Notifier } from '../run/notify.js';
export type { StateStore } from '../store/state-store.js';
