/**
 * Reachability checks behind GET /api/health: cheap calls the functions' roles already allow, each
 * bounded by a timeout so a hung dependency makes the answer "disconnected", not a hung request.
 */
import { type IoTDataPlaneClient, ListRetainedMessagesCommand } from '@aws-sdk/client-iot-data-plane';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { COMPONENTS_TABLE } from './dynamodb/tables.js';

export interface ProbeResult {
  readonly ok: boolean;
  readonly message: string;
}

export type Probe = () => Promise<ProbeResult>;

const PROBE_TIMEOUT_MS = 2_000;

/** Runs a check with a deadline; any failure becomes { ok: false } with the error's message. */
export async function runProbe(
  check: () => Promise<string>,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<ProbeResult> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return { ok: true, message: await Promise.race([check(), deadline]) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** DynamoDB answers a GetItem on the components table (the item need not exist). */
export function dynamoDbProbe(db: DynamoDBDocumentClient, table: string): Probe {
  return () =>
    runProbe(async () => {
      await db.send(
        new GetCommand({
          TableName: table,
          Key: { [COMPONENTS_TABLE.partitionKey.name]: '__health_probe__' },
        }),
      );
      return `DynamoDB table ${table} reachable`;
    });
}

/** The IoT data endpoint answers an authenticated data-plane call. */
export function iotDataProbe(iot: IoTDataPlaneClient, endpoint: string): Probe {
  return () =>
    runProbe(async () => {
      await iot.send(new ListRetainedMessagesCommand({ maxResults: 1 }));
      return `AWS IoT Core data endpoint ${endpoint} reachable`;
    });
}
