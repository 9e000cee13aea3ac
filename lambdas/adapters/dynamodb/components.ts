/**
 * FMEA components in DynamoDB, one item per component. Seeding inserts only what is missing (a
 * conditional put), so re-running it never overwrites an engineer's S/O/D edits. `position` keeps the
 * seed order (the order board travels through the machine) for listings.
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Component, componentSchema } from '../../core/fmea.js';
import type { ComponentRatings, ComponentStore } from '../../core/ports.js';
import { mapLimit } from '../../shared/async.js';
import { COMPONENTS_TABLE } from './tables.js';
import { isConditionalCheckFailed } from './util.js';

const KEY = COMPONENTS_TABLE.partitionKey.name;

interface ComponentItem extends Component {
  position: number;
  updated_at?: string;
}

/** Listing order: seed position, then name (components added later sort after the seeded ones). */
export function byPosition(a: { position: number; component_name: string }, b: typeof a): number {
  return a.position - b.position || (a.component_name < b.component_name ? -1 : 1);
}

export class DynamoDbComponentStore implements ComponentStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: () => number = Date.now,
  ) {}

  async list(): Promise<Component[]> {
    const items: ComponentItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({ TableName: this.table, ConsistentRead: true, ExclusiveStartKey: start }),
      );
      items.push(...((page.Items ?? []) as ComponentItem[]));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return items.sort(byPosition).map(toComponent);
  }

  async get(name: string): Promise<Component | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { [KEY]: name }, ConsistentRead: true }),
    );
    return out.Item === undefined ? undefined : toComponent(out.Item as ComponentItem);
  }

  async updateRatings(name: string, ratings: ComponentRatings): Promise<Component | undefined> {
    const entries = Object.entries(ratings).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return this.get(name);
    const names: Record<string, string> = { '#key': KEY, '#updated': 'updated_at' };
    const values: Record<string, unknown> = { ':updated': new Date(this.clock()).toISOString() };
    const sets = ['#updated = :updated'];
    for (const [field, value] of entries) {
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [KEY]: name },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(#key)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toComponent(out.Attributes as ComponentItem);
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  async seed(components: readonly Component[]): Promise<number> {
    const inserted = await mapLimit(components, 8, async (component, position) => {
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.table,
            Item: { ...componentSchema.parse(component), position } satisfies ComponentItem,
            ConditionExpression: 'attribute_not_exists(#key)',
            ExpressionAttributeNames: { '#key': KEY },
          }),
        );
        return 1;
      } catch (error) {
        if (isConditionalCheckFailed(error)) return 0;
        throw error;
      }
    });
    return inserted.reduce((a: number, b) => a + b, 0);
  }
}

/** The stored item without storage bookkeeping (zod strips unknown keys). */
function toComponent(item: ComponentItem): Component {
  return componentSchema.parse(item);
}
