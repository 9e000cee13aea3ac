/**
 * Vitest global setup: one s3rver and one dynalite for the whole run, on random loopback ports with a
 * temporary directory. Test files receive the endpoints through `inject('emulators')` and create their
 * own uniquely named buckets and tables (test/support/local-aws.ts), so files running in parallel never
 * see each other's data.
 */
import type { TestProject } from 'vitest/node';
import { startEmulators } from '../../local/emulators.js';

export interface ProvidedEmulators {
  readonly s3Endpoint: string;
  readonly dynamodbEndpoint: string;
  readonly region: string;
  readonly env: Readonly<Record<string, string>>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    emulators: ProvidedEmulators;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const emulators = await startEmulators();
  project.provide('emulators', {
    s3Endpoint: emulators.s3Endpoint,
    dynamodbEndpoint: emulators.dynamodbEndpoint,
    region: emulators.region,
    env: emulators.env,
  });
  return () => emulators.stop();
}
