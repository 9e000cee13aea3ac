/**
 * The AWS SDK clients, each created once per container on first use (a function that never touches
 * Timestream never builds its client). Endpoints: the SDK itself honours AWS_ENDPOINT_URL and
 * AWS_ENDPOINT_URL_<SERVICE>; we also pass them explicitly from the parsed Config, so the local runtime
 * and the tests can point one process at emulators without mutating process.env.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { S3Client } from '@aws-sdk/client-s3';
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Config, requireSetting } from '../shared/config.js';
import { once } from '../shared/once.js';

/** Static credentials, for emulators; deployed functions use their role through the default chain. */
export interface StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface AwsClientOptions {
  readonly region: string;
  readonly endpoints?: {
    readonly s3?: string | undefined;
    readonly dynamodb?: string | undefined;
    readonly timestreamWrite?: string | undefined;
    readonly timestreamQuery?: string | undefined;
    readonly iotData?: string | undefined;
  };
  /** Static credentials (emulators); the default provider chain when absent (Lambda's role). */
  readonly credentials?: StaticCredentials | undefined;
}

export interface AwsClients {
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBDocumentClient;
  readonly timestreamWrite: TimestreamWriteClient;
  readonly timestreamQuery: TimestreamQueryClient;
  readonly iotData: IoTDataPlaneClient;
}

/** Client options from the environment contract. */
export function awsClientOptions(config: Config, credentials?: StaticCredentials): AwsClientOptions {
  const shared = config.AWS_ENDPOINT_URL;
  return {
    region: requireSetting(config, 'AWS_REGION'),
    endpoints: {
      s3: config.AWS_ENDPOINT_URL_S3 ?? shared,
      dynamodb: config.AWS_ENDPOINT_URL_DYNAMODB ?? shared,
      timestreamWrite: config.AWS_ENDPOINT_URL_TIMESTREAM_WRITE ?? shared,
      timestreamQuery: config.AWS_ENDPOINT_URL_TIMESTREAM_QUERY ?? shared,
      // The data plane has no regional default: it needs the account's own endpoint.
      iotData: config.AWS_ENDPOINT_URL_IOT_DATA_PLANE ?? config.IOT_DATA_ENDPOINT ?? shared,
    },
    credentials,
  };
}

/**
 * Timeouts short enough that a hung connection fails inside the function's own timeout and the
 * record is retried, instead of the whole invocation timing out.
 */
const REQUEST_HANDLER = { connectionTimeout: 3_000, requestTimeout: 15_000 } as const;

export function createAwsClients(options: AwsClientOptions): AwsClients {
  const base = (endpoint: string | undefined) => ({
    region: options.region,
    maxAttempts: 3,
    requestHandler: REQUEST_HANDLER,
    ...(endpoint !== undefined && { endpoint }),
    ...(options.credentials !== undefined && { credentials: options.credentials }),
  });
  const e = options.endpoints ?? {};
  const s3 = once(
    // Emulators (s3rver, MinIO) serve buckets by path, not by virtual host.
    () => new S3Client({ ...base(e.s3), forcePathStyle: e.s3 !== undefined }),
  );
  const dynamodb = once(() =>
    DynamoDBDocumentClient.from(new DynamoDBClient(base(e.dynamodb)), {
      marshallOptions: {
        removeUndefinedValues: true,
        // The marshaller takes an object for a plain one by its `constructor`; a telemetry reading with a
        // sensor named "constructor" (a valid name) overrides it, and would be refused as a "class
        // instance" — failing its machine's records on every retry. Every object we write is plain.
        convertClassInstanceToMap: true,
      },
    }),
  );
  const timestreamWrite = once(() => new TimestreamWriteClient(base(e.timestreamWrite)));
  const timestreamQuery = once(() => new TimestreamQueryClient(base(e.timestreamQuery)));
  const iotData = once(() => new IoTDataPlaneClient(base(e.iotData)));
  return {
    get s3() {
      return s3();
    },
    get dynamodb() {
      return dynamodb();
    },
    get timestreamWrite() {
      return timestreamWrite();
    },
    get timestreamQuery() {
      return timestreamQuery();
    },
    get iotData() {
      return iotData();
    },
  };
}
