/**
 * Storage: the raw archive bucket (raw/, quarantine/, models/), the DynamoDB tables from the shared
 * definitions in lambdas/adapters/dynamodb/tables.ts (the same ones the local runtime creates), and the
 * time-series store of the chosen backend: Timestream tables or the bucketed DynamoDB table.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as timestream from 'aws-cdk-lib/aws-timestream';
import { Construct } from 'constructs';
import {
  type KeyAttribute,
  TABLES,
  type TableDefinition,
  type TableId,
} from '../../lambdas/adapters/dynamodb/tables.js';
import type { FlexoTwinConfig } from '../config.js';

export interface StorageProps {
  readonly config: FlexoTwinConfig;
}

const attribute = (a: KeyAttribute): dynamodb.Attribute => ({
  name: a.name,
  type: a.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
});

export class Storage extends Construct {
  readonly rawBucket: s3.Bucket;
  readonly accessLogBucket: s3.Bucket;
  readonly tables: Partial<Record<TableId, dynamodb.TableV2>>;
  readonly timestream?: {
    readonly database: timestream.CfnDatabase;
    readonly telemetry: timestream.CfnTable;
    readonly production: timestream.CfnTable;
  };
  private readonly config: FlexoTwinConfig;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // ACLs off: S3 log delivery is granted by a bucket policy (flag @aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy).
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.rawBucket = new s3.Bucket(this, 'RawArchive', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'raw-archive/',
      lifecycleRules: [
        {
          id: 'raw-to-cheaper-classes',
          prefix: 'raw/',
          transitions: [
            {
              storageClass: s3.StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(config.rawInfrequentAccessDays),
            },
            {
              storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(config.rawGlacierDays),
            },
          ],
          expiration: Duration.days(config.rawExpireDays),
        },
        // A retried batch overwrites its object; keep the replaced versions only briefly.
        { id: 'old-versions', noncurrentVersionExpiration: Duration.days(7) },
        { id: 'quarantine', prefix: 'quarantine/', expiration: Duration.days(config.rawExpireDays) },
        { id: 'incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.tables = {};
    for (const [tableId, definition] of Object.entries(TABLES) as [TableId, TableDefinition][]) {
      if (tableId === 'telemetry' && config.timeSeries !== 'dynamodb') continue;
      this.tables[tableId] = new dynamodb.TableV2(
        this,
        `${tableId[0]?.toUpperCase()}${tableId.slice(1)}Table`,
        {
          partitionKey: attribute(definition.partitionKey),
          ...(definition.sortKey !== undefined && { sortKey: attribute(definition.sortKey) }),
          globalSecondaryIndexes: definition.globalSecondaryIndexes.map((gsi) => ({
            indexName: gsi.indexName,
            partitionKey: attribute(gsi.partitionKey),
            ...(gsi.sortKey !== undefined && { sortKey: attribute(gsi.sortKey) }),
            projectionType: dynamodb.ProjectionType.ALL,
          })),
          ...(definition.timeToLiveAttribute !== undefined && {
            timeToLiveAttribute: definition.timeToLiveAttribute,
          }),
          billing: dynamodb.Billing.onDemand(),
          encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
          deletionProtection: true,
          removalPolicy: RemovalPolicy.RETAIN,
        },
      );
    }

    if (config.timeSeries === 'timestream') {
      const database = new timestream.CfnDatabase(this, 'TimeSeriesDatabase', {});
      const table = (name: 'telemetry' | 'production') =>
        new timestream.CfnTable(this, `${name[0]?.toUpperCase()}${name.slice(1)}Series`, {
          databaseName: database.ref,
          tableName: name,
          retentionProperties: {
            MemoryStoreRetentionPeriodInHours: String(config.memoryRetentionHours),
            MagneticStoreRetentionPeriodInDays: String(config.magneticRetentionDays),
          },
          // Late data (a gateway that was offline, a replay) is written to the magnetic store.
          magneticStoreWriteProperties: { EnableMagneticStoreWrites: true },
        });
      this.timestream = { database, telemetry: table('telemetry'), production: table('production') };
      for (const resource of [database, this.timestream.telemetry, this.timestream.production]) {
        resource.applyRemovalPolicy(RemovalPolicy.RETAIN);
        Validations.of(resource).acknowledge({
          id: 'CloudFormation-Validate::W3697',
          reason:
            'Timestream for LiveAnalytics is in maintenance mode (closed to new customers since 2025-06-20). It is created only on an explicit -c timeSeries=timestream, for accounts that still have access; the default backend is the bucketed DynamoDB table.',
        });
      }
      Validations.of(database).acknowledge({
        id: 'AwsSolutions-TS3',
        reason:
          'Encrypted at rest with the Timestream service key. The opt-in, maintenance-mode backend holds the same sensor readings the raw archive keeps under SSE-S3; a customer managed key would add cost and key administration without a requirement behind it.',
      });
    }
  }

  /** The environment variables of lambdas/shared/config.ts that point a function at this storage. */
  environment(): Record<string, string> {
    const env: Record<string, string> = {
      TIME_SERIES_BACKEND: this.config.timeSeries,
      RAW_BUCKET: this.rawBucket.bucketName,
    };
    for (const [tableId, table] of Object.entries(this.tables) as [TableId, dynamodb.TableV2][]) {
      env[TABLES[tableId].envVar] = table.tableName;
    }
    if (this.config.timeSeries === 'dynamodb')
      env.TELEMETRY_RETENTION_DAYS = String(this.config.telemetryRetentionDays);
    if (this.timestream !== undefined) {
      env.TIMESTREAM_DATABASE = this.timestream.database.ref;
      env.TIMESTREAM_TELEMETRY_TABLE = 'telemetry';
      env.TIMESTREAM_PRODUCTION_TABLE = 'production';
    }
    return env;
  }

  /** The table of a definition; throws if this deployment has none (e.g. telemetry under Timestream). */
  table(tableId: TableId): dynamodb.TableV2 {
    const table = this.tables[tableId];
    if (table === undefined) throw new Error(`no ${tableId} table in this deployment`);
    return table;
  }

  /**
   * Grants exactly `actions` on one table: each function names the DynamoDB calls its adapters make
   * instead of taking grantReadWriteData's dozen actions.
   */
  grantTable(grantee: iam.IGrantable, tableId: TableId, actions: readonly DynamoDbAction[]): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: actions.map((a) => `dynamodb:${a}`),
        resources: [this.table(tableId).tableArn],
      }),
    );
  }

  /** Query on the named indexes of a table only (the base table needs no query grant then). */
  grantIndexQuery(grantee: iam.IGrantable, tableId: TableId, indexes: readonly string[]): void {
    const table = this.table(tableId);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: indexes.map((index) => `${table.tableArn}/index/${index}`),
      }),
    );
  }

  /** Lets a function write time series to whichever backend is deployed (the adapters' only write call). */
  grantTimeSeriesWrite(grantee: iam.IGrantable): void {
    if (this.timestream === undefined) this.grantTable(grantee, 'telemetry', ['UpdateItem']);
    else grantTimestream(grantee, this.timestream, 'timestream:WriteRecords');
  }

  /** Lets a function query time series from whichever backend is deployed. */
  grantTimeSeriesRead(grantee: iam.IGrantable): void {
    if (this.timestream === undefined) this.grantTable(grantee, 'telemetry', ['Query']);
    else grantTimestream(grantee, this.timestream, 'timestream:Select');
  }

  /** PutObject under the given prefixes of the raw archive (e.g. raw/ and quarantine/), nowhere else. */
  grantArchiveWrite(grantee: iam.IGrantable, prefixes: readonly string[]): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: prefixes.map((prefix) => this.rawBucket.arnForObjects(`${prefix}*`)),
      }),
    );
  }

  /**
   * GetObject under the given prefixes of the raw archive (e.g. models/), plus ListBucket on the bucket:
   * without it S3 answers a missing key with 403 instead of 404, and "no model yet" would look like an
   * authorization failure. (A prefix condition on ListBucket does not help: GetObject carries no s3:prefix.)
   */
  grantArchiveRead(grantee: iam.IGrantable, prefixes: readonly string[]): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: prefixes.map((prefix) => this.rawBucket.arnForObjects(`${prefix}*`)),
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.rawBucket.bucketArn] }),
    );
  }
}

/** The DynamoDB calls our adapters make (lambdas/adapters/dynamodb/). */
export type DynamoDbAction = 'GetItem' | 'BatchGetItem' | 'PutItem' | 'UpdateItem' | 'Query' | 'Scan';

/** Why a Timestream grant carries a `*` resource (the IAM5 acknowledgment quotes it). */
export const TIMESTREAM_DESCRIBE_ENDPOINTS_REASON =
  'timestream:DescribeEndpoints has no resource-level permissions (resource "*"); the Timestream SDK calls it to discover its cell endpoint before any read or write. The data actions themselves are scoped to the two tables.';

function grantTimestream(
  grantee: iam.IGrantable,
  ts: NonNullable<Storage['timestream']>,
  action: 'timestream:WriteRecords' | 'timestream:Select',
): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: [action], resources: [ts.telemetry.attrArn, ts.production.attrArn] }),
  );
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['timestream:DescribeEndpoints'], resources: ['*'] }),
  );
}
