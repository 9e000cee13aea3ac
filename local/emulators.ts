/**
 * Local stand-ins for S3 and DynamoDB: s3rver and dynalite, in process, on loopback. Used by the local
 * runtime (`npm start`, data under .flexotwin/ so it survives restarts) and by the test suite's global
 * setup (random free ports, a temporary directory). The buckets and tables are created from the same
 * definitions the stack deploys (adapters/dynamodb/tables.ts, the environment contract).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { StaticCredentials } from '../lambdas/adapters/aws-clients.js';
import { createTableInput, TABLES, type TableDefinition } from '../lambdas/adapters/dynamodb/tables.js';
import type { Config } from '../lambdas/shared/config.js';

const require = createRequire(import.meta.url);

/** s3rver only accepts its own access key; dynalite accepts any. */
export const EMULATOR_CREDENTIALS: StaticCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const EMULATOR_REGION = 'eu-west-1';

interface S3rverObject {
  readonly bucket: string;
  readonly key: string;
  readonly content: Buffer | Readable;
  readonly metadata: Record<string, string>;
}
interface S3rverStore {
  putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
  getResourcePath(bucket: string, key: string, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
}
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  readonly httpServer?: { closeAllConnections(): void };
  readonly store: S3rverStore;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;
interface DynaliteServer {
  listen(port: number, host: string, callback: () => void): void;
  address(): AddressInfo | string | null;
  close(callback: (error?: Error) => void): void;
  closeAllConnections(): void;
  on(event: 'error', listener: (error: Error) => void): void;
  off(event: 'error', listener: (error: Error) => void): void;
}
type DynaliteFactory = (options: Record<string, unknown>) => DynaliteServer;

export interface EmulatorOptions {
  /** Loopback address to bind (default 127.0.0.1). */
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly s3Port?: number;
  readonly dynamodbPort?: number;
  /**
   * Where the data lives (s3/ and dynamodb/ below it), kept after stop(). Absent: a temporary directory
   * for S3 and memory for DynamoDB, both gone after stop().
   */
  readonly dataDir?: string;
}

export interface Emulators {
  readonly s3Endpoint: string;
  readonly dynamodbEndpoint: string;
  readonly region: string;
  readonly credentials: StaticCredentials;
  /** The environment-contract variables that point the adapters at these emulators. */
  readonly env: Readonly<Record<'AWS_REGION' | 'AWS_ENDPOINT_URL_S3' | 'AWS_ENDPOINT_URL_DYNAMODB', string>>;
  /**
   * A storage outage, for fault-injection tests: takes one emulator off the network (requests are
   * refused) until `resume()` brings it back on the same port. Its data stays when it lives in a data
   * directory (DynamoDB kept in memory starts empty again).
   */
  interrupt(service: EmulatedService): Promise<{ resume(): Promise<void> }>;
  stop(): Promise<void>;
}

export type EmulatedService = 's3' | 'dynamodb';

export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const host = options.host ?? '127.0.0.1';
  const temporary = options.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'flexotwin-s3-')) : undefined;
  const s3Dir = temporary ?? join(options.dataDir as string, 's3');
  mkdirSync(s3Dir, { recursive: true });
  let dynamoDir: string | undefined;
  if (options.dataDir !== undefined) {
    dynamoDir = join(options.dataDir, 'dynamodb');
    mkdirSync(dynamoDir, { recursive: true });
  }

  const S3rver = require('s3rver') as S3rverConstructor;
  const s3rver = (port: number) =>
    atomicPuts(
      new S3rver({
        address: host,
        port,
        silent: true,
        directory: s3Dir,
        // The SDK signs with the region's signing name; s3rver checks the key, not the signature's scope.
        allowMismatchedSignatures: true,
        vhostBuckets: false,
      }),
    );
  let s3 = s3rver(options.s3Port ?? 0);
  const s3Address = await s3.run();

  const dynalite = require('dynalite') as DynaliteFactory;
  const dynamo = dynalite({
    ...(dynamoDir !== undefined && { path: dynamoDir }),
    // Tables are ACTIVE at once (real DynamoDB takes seconds; nothing here waits for it).
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      dynamo.on('error', reject);
      dynamo.listen(options.dynamodbPort ?? 0, host, resolve);
    });
  } catch (error) {
    await s3.close();
    throw error;
  }
  const dynamoAddress = dynamo.address() as AddressInfo;

  const closeDynamo = () =>
    new Promise<void>((resolve, reject) => dynamo.close((error) => (error ? reject(error) : resolve())));
  const interrupted = new Set<EmulatedService>();
  const s3Endpoint = `http://${host}:${s3Address.port}`;
  const dynamodbEndpoint = `http://${host}:${dynamoAddress.port}`;
  return {
    s3Endpoint,
    dynamodbEndpoint,
    region: EMULATOR_REGION,
    credentials: EMULATOR_CREDENTIALS,
    env: {
      AWS_REGION: EMULATOR_REGION,
      AWS_ENDPOINT_URL_S3: s3Endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
    },
    async interrupt(service) {
      if (interrupted.has(service)) throw new Error(`the ${service} emulator is already interrupted`);
      interrupted.add(service);
      // Down means down: open connections are dropped too (a close alone waits for them, and a client
      // that keeps sending on a kept-alive connection would keep it open for ever).
      const closing = service === 's3' ? s3.close() : closeDynamo();
      if (service === 's3') s3.httpServer?.closeAllConnections();
      else dynamo.closeAllConnections();
      await closing;
      return {
        async resume() {
          if (!interrupted.delete(service)) return;
          if (service === 's3') {
            // A new s3rver on the same port and directory; dynalite listens again and reopens its store.
            s3 = s3rver(s3Address.port);
            await s3.run();
          } else
            await new Promise<void>((resolve, reject) => {
              dynamo.on('error', reject);
              dynamo.listen(dynamoAddress.port, host, () => {
                dynamo.off('error', reject);
                resolve();
              });
            });
        },
      };
    },
    async stop() {
      await Promise.all([
        interrupted.has('s3') ? undefined : s3.close(),
        interrupted.has('dynamodb') ? undefined : closeDynamo(),
      ]);
      if (temporary !== undefined) rmSync(temporary, { recursive: true, force: true });
    },
  };
}

/**
 * Makes the emulator's PutObject all-or-nothing, as S3's is. s3rver streams the request body straight
 * into the object's file, so a connection dropped mid-upload (a client killed, an outage) leaves a
 * truncated object behind — a corrupt gzip that real S3 would never store. Here the body is read to its
 * end first, checked against Content-Length, written to a temporary file and renamed over the object;
 * an incomplete upload fails and the previous object, if any, stays as it was.
 */
function atomicPuts(instance: S3rverInstance): S3rverInstance {
  const store = instance.store;
  store.putObject = async (object) => {
    const body = Buffer.isBuffer(object.content) ? object.content : await completeBody(object.content);
    const declared = object.metadata['content-length'];
    if (declared !== undefined && Number(declared) !== body.length)
      throw new Error(`incomplete upload: ${body.length} of ${declared} bytes`);
    const path = store.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temporary, body);
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    const md5 = createHash('md5').update(body).digest('hex');
    await store.putMetadata(object.bucket, object.key, object.metadata, md5);
    return { size: body.length, md5 };
  };
  return instance;
}

/** The whole of a request body; rejects if the stream closes or fails before its end. */
function completeBody(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let ended = false;
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => {
      ended = true;
      resolve(Buffer.concat(chunks));
    });
    stream.once('error', reject);
    stream.once('close', () => {
      if (!ended) reject(new Error('the upload was interrupted before its end'));
    });
  });
}

export interface ResourceNames {
  readonly buckets: readonly string[];
  readonly tables: readonly { readonly definition: TableDefinition; readonly name: string }[];
}

/** The buckets and tables a configuration names (the time-series table only with the DynamoDB backend). */
export function resourcesOf(config: Config): ResourceNames {
  const buckets = [config.RAW_BUCKET, config.MODEL_BUCKET].filter((b): b is string => b !== undefined);
  const tables: { definition: TableDefinition; name: string }[] = [];
  for (const definition of Object.values(TABLES)) {
    const name = config[definition.envVar as keyof Config];
    if (typeof name !== 'string') continue;
    if (definition === TABLES.telemetry && config.TIME_SERIES_BACKEND !== 'dynamodb') continue;
    tables.push({ definition, name });
  }
  return { buckets: [...new Set(buckets)], tables };
}

/** Creates what does not exist yet (a restart with a data directory finds everything in place). */
export async function provisionResources(
  emulators: Pick<Emulators, 's3Endpoint' | 'dynamodbEndpoint' | 'region' | 'credentials'>,
  resources: ResourceNames,
): Promise<void> {
  const s3 = new S3Client({
    region: emulators.region,
    endpoint: emulators.s3Endpoint,
    forcePathStyle: true,
    credentials: emulators.credentials,
  });
  const dynamodb = new DynamoDBClient({
    region: emulators.region,
    endpoint: emulators.dynamodbEndpoint,
    credentials: emulators.credentials,
  });
  try {
    for (const bucket of resources.buckets) {
      try {
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      } catch (error) {
        if (!(error instanceof Error && /BucketAlready(OwnedByYou|Exists)/.test(error.name))) throw error;
      }
    }
    for (const { definition, name } of resources.tables) {
      try {
        await dynamodb.send(new CreateTableCommand(createTableInput(definition, name)));
      } catch (error) {
        if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
      }
    }
  } finally {
    s3.destroy();
    dynamodb.destroy();
  }
}
