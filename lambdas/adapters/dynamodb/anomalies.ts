/**
 * Alarms in DynamoDB, one item per alarm id. Detector events and operator acknowledgments meet on the
 * same item, so every write is a read-modify-write guarded by a revision number: an acknowledgment can
 * never be overwritten by a concurrent detector update, and vice versa (the loser re-reads and retries).
 * How an event changes an alarm is core's `applyAlarmEvent`; this module only stores the result.
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  type AckResult,
  type Alarm,
  type AlarmEvent,
  acknowledgeAlarm,
  applyAlarmEvent,
} from '../../core/anomaly/alarm.js';
import { type AlarmPage, type AlarmQuery, type AnomalyStore, InvalidCursorError } from '../../core/ports.js';
import { mapLimit, sleep } from '../../shared/async.js';
import {
  alarmCursorSchema,
  alarmQueryPlan,
  CLEARED_ALARM_RETENTION_MS,
  groupEventsByAlarm,
  sameAlarm,
} from '../alarm-store-rules.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { ANOMALIES_TABLE, TTL_ATTRIBUTE } from './tables.js';
import { isConditionalCheckFailed } from './util.js';

const KEY = ANOMALIES_TABLE.partitionKey.name;
const [BY_MACHINE, BY_STATE] = ANOMALIES_TABLE.globalSecondaryIndexes;
const MAX_ATTEMPTS = 6;

interface AlarmItem extends Alarm {
  rev: number;
  [TTL_ATTRIBUTE]?: number;
}

function toAlarm(item: AlarmItem): Alarm {
  const { rev: _rev, [TTL_ATTRIBUTE]: _ttl, ...alarm } = item;
  return alarm;
}

export class DynamoDbAnomalyStore implements AnomalyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async apply(events: readonly AlarmEvent[]): Promise<void> {
    const groups = [...groupEventsByAlarm(events)];
    await mapLimit(groups, 8, ([alarmId, list]) =>
      this.update(alarmId, (existing) => {
        let next = existing;
        for (const event of list) next = applyAlarmEvent(next, event);
        return next;
      }),
    );
  }

  async get(alarmId: string): Promise<Alarm | undefined> {
    const item = await this.read(alarmId);
    return item === undefined ? undefined : toAlarm(item);
  }

  async acknowledge(alarmId: string, by: string, at: string): Promise<AckResult | undefined> {
    let result: AckResult | undefined;
    await this.update(alarmId, (existing) => {
      if (existing === undefined) {
        result = undefined;
        return undefined;
      }
      result = acknowledgeAlarm(existing, by, at);
      return result.ok && result.changed ? result.alarm : existing;
    });
    return result;
  }

  async query(query: AlarmQuery): Promise<AlarmPage> {
    const plan = alarmQueryPlan(query);
    const cursor =
      query.cursor === undefined
        ? { p: 0 }
        : decodeCursor(query.cursor, alarmCursorSchema(plan.phases.length));
    const items: Alarm[] = [];
    let phase = cursor.p;
    let start: Record<string, unknown> | undefined = cursor.k;
    while (phase < plan.phases.length && items.length < query.limit) {
      const p = plan.phases[phase] as (typeof plan.phases)[number];
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = {};
      let keyCondition: string;
      if (p.machine_id !== undefined) {
        names['#machine'] = 'machine_id';
        values[':machine'] = p.machine_id;
        keyCondition = '#machine = :machine';
      } else {
        names['#state'] = 'state';
        values[':state'] = p.state;
        keyCondition = '#state = :state';
      }
      if (query.since !== undefined) {
        names['#last_seen'] = 'last_seen';
        values[':since'] = new Date(query.since).toISOString();
        keyCondition += ' AND #last_seen >= :since';
      }
      let filter: string | undefined;
      if (p.machine_id !== undefined && p.filterStates !== undefined) {
        names['#state'] = 'state';
        filter = `#state IN (${p.filterStates.map((_, i) => `:s${i}`).join(', ')})`;
        p.filterStates.forEach((s, i) => {
          values[`:s${i}`] = s;
        });
      }
      const page = await this.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: p.machine_id !== undefined ? BY_MACHINE.indexName : BY_STATE.indexName,
          KeyConditionExpression: keyCondition,
          FilterExpression: filter,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: query.limit - items.length,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...((page.Items ?? []) as AlarmItem[]).map(toAlarm));
      start = page.LastEvaluatedKey;
      if (start === undefined) phase++;
    }
    const more = phase < plan.phases.length;
    return {
      items,
      ...(more && { next_cursor: encodeCursor(start === undefined ? { p: phase } : { p: phase, k: start }) }),
    };
  }

  /** A forged or foreign start key makes DynamoDB refuse the query: that is the caller's bad cursor. */
  private async send(command: QueryCommand) {
    try {
      return await this.db.send(command);
    } catch (error) {
      if (
        command.input.ExclusiveStartKey !== undefined &&
        error instanceof Error &&
        error.name === 'ValidationException'
      ) {
        throw new InvalidCursorError();
      }
      throw error;
    }
  }

  private async read(alarmId: string): Promise<AlarmItem | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { [KEY]: alarmId }, ConsistentRead: true }),
    );
    return out.Item as AlarmItem | undefined;
  }

  /**
   * Read, change, write back if the revision is unchanged; on a lost race, again. `change` returning
   * undefined or an equal alarm writes nothing.
   */
  private async update(
    alarmId: string,
    change: (existing: Alarm | undefined) => Alarm | undefined,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const item = await this.read(alarmId);
      const existing = item === undefined ? undefined : toAlarm(item);
      const next = change(existing);
      if (next === undefined || (existing !== undefined && sameAlarm(existing, next))) return;
      const rev = item?.rev ?? 0;
      const clearedMs = next.cleared_at === null ? undefined : Date.parse(next.cleared_at);
      const stored: AlarmItem = {
        ...next,
        rev: rev + 1,
        ...(clearedMs !== undefined && {
          [TTL_ATTRIBUTE]: Math.floor((clearedMs + CLEARED_ALARM_RETENTION_MS) / 1000),
        }),
      };
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.table,
            Item: stored,
            ConditionExpression: item === undefined ? 'attribute_not_exists(#key)' : '#rev = :rev',
            ExpressionAttributeNames: item === undefined ? { '#key': KEY } : { '#rev': 'rev' },
            ...(item !== undefined && { ExpressionAttributeValues: { ':rev': rev } }),
          }),
        );
        return;
      } catch (error) {
        if (!isConditionalCheckFailed(error) || attempt >= MAX_ATTEMPTS) throw error;
        await sleep(10 * attempt + Math.random() * 20);
      }
    }
  }
}
