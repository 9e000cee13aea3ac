/**
 * The DynamoDB tables, defined once: the adapters read their key names from here, the local runtime
 * creates the tables from `createTableInput`, and the CDK storage construct maps the same definitions
 * to `dynamodb.Table` (partition/sort key, GSIs, TTL attribute). Table *names* come from the environment
 * (`envVar`), so several stacks or test runs can share an account or an emulator.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { EnvVarName } from '../../shared/config.js';

export type AttributeType = 'S' | 'N';

export interface KeyAttribute {
  readonly name: string;
  readonly type: AttributeType;
}

export interface GlobalIndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Every index projects all attributes: the items are small and read whole. */
  readonly projection: 'ALL';
}

export interface TableDefinition {
  /** What the table holds (documentation for the stack and for operators). */
  readonly description: string;
  /** The environment variable carrying the table's name. */
  readonly envVar: EnvVarName;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly globalSecondaryIndexes: readonly GlobalIndexDefinition[];
  /** Epoch-seconds attribute DynamoDB's TTL expires items by; absent where nothing expires. */
  readonly timeToLiveAttribute?: string;
}

/** Attribute names the adapters write, kept beside the keys they belong with. */
export const TTL_ATTRIBUTE = 'expires_at';

export const COMPONENTS_TABLE = {
  description: 'FMEA components: severity, occurrence, detection, texts and recommendations',
  envVar: 'COMPONENTS_TABLE',
  partitionKey: { name: 'component_name', type: 'S' },
  globalSecondaryIndexes: [],
} as const satisfies TableDefinition;

export const ANOMALIES_TABLE = {
  description: 'Alarms with their lifecycle; queried by machine and by state, newest first',
  envVar: 'ANOMALIES_TABLE',
  partitionKey: { name: 'alarm_id', type: 'S' },
  globalSecondaryIndexes: [
    {
      indexName: 'by_machine',
      partitionKey: { name: 'machine_id', type: 'S' },
      sortKey: { name: 'last_seen', type: 'S' },
      projection: 'ALL',
    },
    {
      indexName: 'by_state',
      partitionKey: { name: 'state', type: 'S' },
      sortKey: { name: 'last_seen', type: 'S' },
      projection: 'ALL',
    },
  ],
  // Cleared alarms expire a year after they cleared; active ones never do.
  timeToLiveAttribute: TTL_ATTRIBUTE,
} as const satisfies TableDefinition;

export const MACHINE_STATE_TABLE = {
  description: 'Per-machine twin state (detector memory, OEE, health) with an optimistic-concurrency version',
  envVar: 'MACHINE_STATE_TABLE',
  partitionKey: { name: 'machine_id', type: 'S' },
  globalSecondaryIndexes: [],
} as const satisfies TableDefinition;

export const TELEMETRY_TABLE = {
  description:
    'Bucketed time series (TIME_SERIES_BACKEND=dynamodb): one item per machine, kind and minute holding its readings',
  envVar: 'TELEMETRY_TABLE',
  /** `<machine_id>#<kind>` */
  partitionKey: { name: 'series', type: 'S' },
  /** Start of the minute, epoch ms. */
  sortKey: { name: 'minute', type: 'N' },
  globalSecondaryIndexes: [],
  timeToLiveAttribute: TTL_ATTRIBUTE,
} as const satisfies TableDefinition;

export const TABLES = {
  components: COMPONENTS_TABLE,
  anomalies: ANOMALIES_TABLE,
  machineState: MACHINE_STATE_TABLE,
  telemetry: TELEMETRY_TABLE,
} as const satisfies Record<string, TableDefinition>;

export type TableId = keyof typeof TABLES;

/** The CreateTable request of a definition (on-demand capacity, as the stack provisions it). */
export function createTableInput(definition: TableDefinition, tableName: string): CreateTableCommandInput {
  const attributes = new Map<string, AttributeType>();
  const add = (a: KeyAttribute | undefined) => {
    if (a === undefined) return;
    const known = attributes.get(a.name);
    if (known !== undefined && known !== a.type) {
      throw new Error(`attribute ${a.name} is declared both ${known} and ${a.type}`);
    }
    attributes.set(a.name, a.type);
  };
  const keySchema = (pk: KeyAttribute, sk: KeyAttribute | undefined) => [
    { AttributeName: pk.name, KeyType: 'HASH' as const },
    ...(sk === undefined ? [] : [{ AttributeName: sk.name, KeyType: 'RANGE' as const }]),
  ];
  add(definition.partitionKey);
  add(definition.sortKey);
  for (const gsi of definition.globalSecondaryIndexes) {
    add(gsi.partitionKey);
    add(gsi.sortKey);
  }
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    KeySchema: keySchema(definition.partitionKey, definition.sortKey),
    ...(definition.globalSecondaryIndexes.length > 0 && {
      GlobalSecondaryIndexes: definition.globalSecondaryIndexes.map((gsi) => ({
        IndexName: gsi.indexName,
        KeySchema: keySchema(gsi.partitionKey, gsi.sortKey),
        Projection: { ProjectionType: gsi.projection },
      })),
    }),
  };
}
