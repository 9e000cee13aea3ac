/**
 * Per-machine twin state in DynamoDB with optimistic concurrency: every put names the version it read,
 * and a put against a newer version fails with ConcurrentUpdateError (the processor then fails that
 * machine's records so SQS redelivers them onto the newer state).
 *
 * The state is stored as one JSON string (`twin`): it is read and written whole, a string round-trips
 * every double exactly, and it avoids marshalling a deep map on each batch. `last_seen` and the health
 * index sit beside it as plain attributes for operators browsing the table.
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { MachineState } from '../../core/machine.js';
import {
  ConcurrentUpdateError,
  type MachineStateStore,
  type VersionedMachineState,
} from '../../core/ports.js';
import { chunks, mapLimit, sleep } from '../../shared/async.js';
import { MACHINE_STATE_TABLE } from './tables.js';
import { isConditionalCheckFailed } from './util.js';

const KEY = MACHINE_STATE_TABLE.partitionKey.name;
/** BatchGetItem's limit. */
const BATCH_GET_MAX = 100;
const BATCH_GET_ATTEMPTS = 8;

interface MachineStateItem {
  machine_id: string;
  version: number;
  twin: string;
  last_seen: number;
  health_index: number | null;
  updated_at: string;
}

function toVersioned(item: MachineStateItem): VersionedMachineState {
  return { state: JSON.parse(item.twin) as MachineState, version: item.version };
}

export class DynamoDbMachineStateStore implements MachineStateStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: () => number = Date.now,
  ) {}

  async get(machineId: string): Promise<VersionedMachineState | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { [KEY]: machineId }, ConsistentRead: true }),
    );
    return out.Item === undefined ? undefined : toVersioned(out.Item as MachineStateItem);
  }

  async getMany(machineIds: readonly string[]): Promise<Map<string, VersionedMachineState>> {
    const result = new Map<string, VersionedMachineState>();
    const unique = [...new Set(machineIds)];
    await mapLimit(chunks(unique, BATCH_GET_MAX), 4, async (ids) => {
      let keys: Record<string, unknown>[] = ids.map((id) => ({ [KEY]: id }));
      // Unprocessed keys (throttling) are retried with backoff; giving up throws, failing the batch's records.
      for (let attempt = 1; keys.length > 0; attempt++) {
        if (attempt > BATCH_GET_ATTEMPTS)
          throw new Error(`BatchGetItem left ${keys.length} keys unprocessed`);
        if (attempt > 1) await sleep(Math.min(1000, 25 * 2 ** attempt) * Math.random());
        const out = await this.db.send(
          new BatchGetCommand({
            RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } },
          }),
        );
        for (const item of (out.Responses?.[this.table] ?? []) as MachineStateItem[]) {
          result.set(item.machine_id, toVersioned(item));
        }
        keys = (out.UnprocessedKeys?.[this.table]?.Keys ?? []) as Record<string, unknown>[];
      }
    });
    return result;
  }

  async put(state: MachineState, expectedVersion: number | undefined): Promise<number> {
    const version = (expectedVersion ?? 0) + 1;
    const item: MachineStateItem = {
      machine_id: state.machine_id,
      version,
      twin: JSON.stringify(state),
      last_seen: state.last_seen,
      health_index: state.health?.health_index ?? null,
      updated_at: new Date(this.clock()).toISOString(),
    };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ...(expectedVersion === undefined
            ? {
                ConditionExpression: 'attribute_not_exists(#key)',
                ExpressionAttributeNames: { '#key': KEY },
              }
            : {
                ConditionExpression: '#version = :expected',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': expectedVersion },
              }),
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new ConcurrentUpdateError(state.machine_id);
      throw error;
    }
    return version;
  }

  async list(): Promise<MachineState[]> {
    const states: MachineState[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({ TableName: this.table, ConsistentRead: true, ExclusiveStartKey: start }),
      );
      for (const item of (page.Items ?? []) as MachineStateItem[]) states.push(toVersioned(item).state);
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return states.sort((a, b) => (a.machine_id < b.machine_id ? -1 : 1));
  }
}
