/**
 * The source ports on the real inputs: reports and CloudTrail sources read from files, stdin, S3
 * and LookupEvents (src/io), with the AWS clients and the clock given. The readers are loaded when
 * first used, so a command that reads no CloudTrail never loads them.
 */
import type { InputContext } from '../io/inputs.js';
import type { AwsAccess, Clock, Diagnostics, EventSource, ReportSource } from './ports.js';

/** Reports from files, `-` and s3://bucket/key. */
export function reportSource(ports: AwsAccess): ReportSource {
  return {
    open: async (location, where) => {
      const { openInput } = await import('../io/inputs.js');
      return openInput(location, inputContext(ports, where?.region));
    },
  };
}

/** CloudTrail sources of every kind (src/io/event-inputs.ts). */
export function eventSource(ports: AwsAccess & Clock & Pick<Diagnostics, 'progress'>): EventSource {
  return {
    collect: async (sources, { region, ...query }) => {
      const { collectEvents } = await import('../io/event-inputs.js');
      return collectEvents(sources, {
        ...query,
        inputs: inputContext(ports, region),
        now: ports.now,
        sleep: ports.sleep,
        progress: ports.progress,
      });
    },
  };
}

/** What the readers of src/io are given: the clients, and the Region when one is known. */
export function inputContext(ports: AwsAccess, region: string | undefined): InputContext {
  return { aws: ports.aws, ...(region === undefined ? {} : { region }) };
}
