import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { TABLES } from '../../lambdas/adapters/dynamodb/tables.js';
import { configSchema } from '../../lambdas/shared/config.js';
import { Storage } from '../../lib/constructs/storage.js';
import { emptyStack, rendered } from './synth.js';

function synth(context: Record<string, unknown> = {}) {
  const { stack, config } = emptyStack(context);
  const storage = new Storage(stack, 'Storage', { config });
  const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
  const writer = new iam.Role(stack, 'Writer', { assumedBy: new iam.AccountRootPrincipal() });
  storage.grantTimeSeriesRead(reader);
  storage.grantTimeSeriesWrite(writer);
  return { stack, storage, template: Template.fromStack(stack) };
}

/** The statements of the default policy of a role, by the role's construct id. */
function statementsOf(template: Template, roleId: string) {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp(`^${roleId}`) }] },
  });
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('Storage construct: the raw archive', () => {
  const { storage, template } = synth();

  it('encrypts, blocks public access, versions and logs access of the raw archive', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: {
        DestinationBucketName: rendered(storage, storage.accessLogBucket.bucketName),
        LogFilePrefix: 'raw-archive/',
      },
    });
  });

  it('moves raw data to Infrequent Access, then Glacier Instant Retrieval, then deletes it (context days)', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          {
            Id: 'raw-to-cheaper-classes',
            Prefix: 'raw/',
            Status: 'Enabled',
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
              { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
            ],
            ExpirationInDays: 730,
          },
          Match.objectLike({ Id: 'old-versions', NoncurrentVersionExpiration: { NoncurrentDays: 7 } }),
          Match.objectLike({ Id: 'quarantine', Prefix: 'quarantine/', ExpirationInDays: 730 }),
        ]),
      },
    });
    const custom = synth({ rawInfrequentAccessDays: 60, rawGlacierDays: 180, rawExpireDays: 400 }).template;
    custom.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Id: 'raw-to-cheaper-classes',
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: 60 },
              { StorageClass: 'GLACIER_IR', TransitionInDays: 180 },
            ],
            ExpirationInDays: 400,
          }),
        ]),
      },
    });
  });

  it('denies every non-TLS request to both buckets', () => {
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Principal: { AWS: '*' },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('keeps the access-log bucket ACL-free and lets only S3 log delivery write the raw-archive/ prefix', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 365, Status: 'Enabled' }] },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: rendered(storage, storage.accessLogBucket.bucketName),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 's3:PutObject',
            Principal: { Service: 'logging.s3.amazonaws.com' },
          }),
        ]),
      },
    });
  });
});

describe('Storage construct: DynamoDB tables', () => {
  const { storage, template } = synth();

  it('creates every shared table definition (keys, indexes, TTL) with PITR, deletion protection and SSE', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', Object.keys(TABLES).length);
    for (const [id, definition] of Object.entries(TABLES)) {
      const keySchema = [
        { AttributeName: definition.partitionKey.name, KeyType: 'HASH' },
        ...('sortKey' in definition ? [{ AttributeName: definition.sortKey.name, KeyType: 'RANGE' }] : []),
      ];
      template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        KeySchema: keySchema,
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        ...('timeToLiveAttribute' in definition && {
          TimeToLiveSpecification: { AttributeName: definition.timeToLiveAttribute, Enabled: true },
        }),
        GlobalSecondaryIndexes:
          definition.globalSecondaryIndexes.length === 0
            ? Match.absent()
            : definition.globalSecondaryIndexes.map((gsi) => ({
                IndexName: gsi.indexName,
                KeySchema: [
                  { AttributeName: gsi.partitionKey.name, KeyType: 'HASH' },
                  { AttributeName: gsi.sortKey.name, KeyType: 'RANGE' },
                ],
                Projection: { ProjectionType: 'ALL' },
              })),
        Replicas: [
          Match.objectLike({
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            DeletionProtectionEnabled: true,
          }),
        ],
      });
      expect(storage.table(id as keyof typeof TABLES)).toBeDefined();
    }
    // Tables and buckets outlive the stack: deleting it must not delete a year of data.
    for (const table of Object.values(template.findResources('AWS::DynamoDB::GlobalTable'))) {
      expect(table.DeletionPolicy).toBe('Retain');
    }
  });

  it('points the functions at its resources with exactly the variables the handlers read', () => {
    const env = storage.environment();
    expect(env).toEqual({
      TIME_SERIES_BACKEND: 'dynamodb',
      RAW_BUCKET: storage.rawBucket.bucketName,
      COMPONENTS_TABLE: storage.table('components').tableName,
      ANOMALIES_TABLE: storage.table('anomalies').tableName,
      MACHINE_STATE_TABLE: storage.table('machineState').tableName,
      TELEMETRY_TABLE: storage.table('telemetry').tableName,
      TELEMETRY_RETENTION_DAYS: '395',
    });
    expect(() => configSchema.parse({ ...env, AWS_REGION: 'eu-central-1' })).not.toThrow();
  });

  it('grants time-series reads as Query and writes as UpdateItem on the bucketed table only', () => {
    const table = rendered(storage, storage.table('telemetry').tableArn);
    expect(statementsOf(template, 'Reader')).toEqual([
      { Effect: 'Allow', Action: 'dynamodb:Query', Resource: table },
    ]);
    expect(statementsOf(template, 'Writer')).toEqual([
      { Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: table },
    ]);
  });
});

describe('Storage construct: Timestream (timeSeries=timestream)', () => {
  const { storage, template } = synth({
    timeSeries: 'timestream',
    memoryRetentionHours: 12,
    magneticRetentionDays: 730,
  });

  it('creates the database and the two multi-measure tables with context retention and magnetic writes on', () => {
    template.resourceCountIs('AWS::Timestream::Database', 1);
    for (const name of ['telemetry', 'production']) {
      template.hasResource('AWS::Timestream::Table', {
        Properties: {
          DatabaseName: { Ref: Match.stringLikeRegexp('TimeSeriesDatabase') },
          TableName: name,
          RetentionProperties: {
            MemoryStoreRetentionPeriodInHours: '12',
            MagneticStoreRetentionPeriodInDays: '730',
          },
          MagneticStoreWriteProperties: { EnableMagneticStoreWrites: true },
        },
        DeletionPolicy: 'Retain',
      });
    }
  });

  it('has no bucketed time-series table, and the environment names the Timestream resources', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', Object.keys(TABLES).length - 1);
    expect(storage.tables.telemetry).toBeUndefined();
    const env = storage.environment();
    expect(env).toMatchObject({
      TIME_SERIES_BACKEND: 'timestream',
      TIMESTREAM_DATABASE: storage.timestream?.database.ref,
      TIMESTREAM_TELEMETRY_TABLE: 'telemetry',
      TIMESTREAM_PRODUCTION_TABLE: 'production',
    });
    expect(env.TELEMETRY_TABLE).toBeUndefined();
    expect(() => configSchema.parse({ ...env, AWS_REGION: 'eu-central-1' })).not.toThrow();
  });

  it('scopes Select and WriteRecords to the two tables; only DescribeEndpoints (no resource scope) has "*"', () => {
    // (the order of the two ARNs is IAM policy minimization's, not ours)
    const tables = expect.toSatisfy(
      (resources: unknown[]) =>
        resources.length === 2 &&
        [storage.timestream?.telemetry, storage.timestream?.production].every((t) =>
          resources.some((r) => JSON.stringify(r) === JSON.stringify(rendered(storage, t?.attrArn))),
        ),
    );
    const discovery = { Effect: 'Allow', Action: 'timestream:DescribeEndpoints', Resource: '*' };
    expect(statementsOf(template, 'Reader')).toEqual([
      { Effect: 'Allow', Action: 'timestream:Select', Resource: tables },
      discovery,
    ]);
    expect(statementsOf(template, 'Writer')).toEqual([
      { Effect: 'Allow', Action: 'timestream:WriteRecords', Resource: tables },
      discovery,
    ]);
  });
});
