/**
 * The whole app as `npm run synth` builds it: cdk-nag's AwsSolutions pack and CDK's CloudFormation
 * validation run on every synth here, and any finding without an acknowledgment makes it throw.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { configSchema, readConfig } from '../../lib/config.js';
import { nagResourceName } from '../../lib/nag.js';
import { CDK_JSON, fullApp, logicalId, testApp } from './synth.js';

interface Acknowledgment {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** The acknowledgments recorded on one construct (Validations.of(c).acknowledge). */
function ownAcknowledgments(c: IConstruct): Acknowledgment[] {
  return c.node.metadata
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((entry) =>
      Object.entries(entry.data as Record<string, string>).map(([qualified, reason]) => ({
        path: c.node.path,
        // An id without a known plugin prefix is stored as an annotation id (cdk-nag strips that prefix).
        id: qualified.replace(/^annotation::/i, ''),
        reason,
      })),
    );
}

/** Every acknowledgment in the construct tree. */
function acknowledgments(app: App): Acknowledgment[] {
  return app.node.findAll().flatMap(ownAcknowledgments);
}

/**
 * The cdk-nag acknowledgments a fresh AwsSolutions run actually needs: `isAcknowledged` is wrapped to
 * record which construct's acknowledgment answered which finding.
 */
function usedNagAcknowledgments(app: App): Set<string> {
  const proto = NagPack.prototype as unknown as {
    isAcknowledged(resource: IConstruct, ruleId: string): boolean;
  };
  const original = proto.isAcknowledged;
  const used = new Set<string>();
  proto.isAcknowledged = function (resource, ruleId) {
    const acknowledged = original.call(this, resource, ruleId);
    if (acknowledged) {
      for (let c: IConstruct | undefined = resource; c !== undefined; c = c.node.scope) {
        if (ownAcknowledgments(c).some((a) => a.id === ruleId)) {
          used.add(`${c.node.path} ${ruleId}`);
          break;
        }
      }
    }
    return acknowledged;
  };
  try {
    new AwsSolutionsChecks().validateScope(app);
  } finally {
    proto.isAcknowledged = original;
  }
  return used;
}

interface ReportedViolation {
  ruleName: string;
  acknowledgedId?: string;
  reason?: string;
  violatingConstructs: { constructPath: string }[];
}

function validationReport(app: App) {
  const file = path.join(app.outdir, 'validation-report.json');
  return JSON.parse(readFileSync(file, 'utf8')) as {
    pluginReports: {
      pluginName: string;
      violations: ReportedViolation[];
      suppressedViolations?: ReportedViolation[];
    }[];
  };
}

const MODES: Record<string, Record<string, unknown>> = {
  'timeSeries=dynamodb (default)': {},
  'timeSeries=timestream': { timeSeries: 'timestream' },
  'basicIngest=true': { basicIngest: 'true' },
  'alarmEmail and corsOrigins set': { alarmEmail: 'ops@example.com', corsOrigins: 'https://ops.example.com' },
};

describe('the app under cdk-nag AwsSolutions and CloudFormation validation', () => {
  const synthesized = new Map<string, App>();
  const synth = (mode: string) => {
    let app = synthesized.get(mode);
    if (app === undefined) {
      app = fullApp(MODES[mode]).app;
      app.synth();
      synthesized.set(mode, app);
    }
    return app;
  };

  it.each(Object.keys(MODES))('synthesises with no unacknowledged finding: %s', (mode) => {
    const app = synth(mode);
    for (const report of validationReport(app).pluginReports) {
      expect(report.violations, report.pluginName).toEqual([]);
    }
  });

  it('fails the synth on a finding nobody acknowledged (a wildcard grant slipped into the processor)', () => {
    const { app, stack } = fullApp();
    stack.processing.processor.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }),
    );
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::\*\]/);
  });

  it('gives every acknowledgment a specific written reason', () => {
    for (const mode of Object.keys(MODES)) {
      for (const ack of acknowledgments(synth(mode))) {
        expect(ack.reason.length, `${ack.path} ${ack.id}`).toBeGreaterThanOrEqual(80);
        expect(ack.reason, `${ack.path} ${ack.id}`).not.toMatch(/^(n\/a|none|todo|ok|suppressed?)\b/i);
      }
    }
  });

  it('acknowledges exactly these findings (default mode), and each one is still needed', () => {
    const app = synth('timeSeries=dynamodb (default)');
    const stack = Stack.of(app.node.findChild('FlexoTwin'));
    const arn = (p: string) =>
      `<${logicalId(stack.node.findChild('Storage').node.findChild('RawArchive'))}.Arn>${p}`;
    const iot = (p: string) => `arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:${p}`;
    const list = acknowledgments(app).map((a) => `${a.path.replace('FlexoTwin/', '')} ${a.id}`);
    expect(list.sort()).toEqual(
      [
        'Api/Handler AwsSolutions-IAM5[Resource::*]',
        `Api/Handler AwsSolutions-IAM5[Resource::${arn('/models/*')}]`,
        'Api/Handler/Function AwsSolutions-L1',
        'Api/getSystemHealth AwsSolutions-APIG4',
        'ComponentSeed/Seeder/Function AwsSolutions-L1',
        'IotEndpoint AwsSolutions-IAM5[Resource::*]',
        `Processing/Processor AwsSolutions-IAM5[Resource::${arn('/quarantine/*')}]`,
        `Processing/Processor AwsSolutions-IAM5[Resource::${arn('/raw/*')}]`,
        `Processing/Processor AwsSolutions-IAM5[Resource::${iot('thing/*/health')}]`,
        `Processing/Processor AwsSolutions-IAM5[Resource::${iot('topic/flexotwin/*/anomalies')}]`,
        'Processing/Processor/Function AwsSolutions-L1',
      ].sort(),
    );
    // Every one of them answers a finding of a fresh AwsSolutions run: none is left over.
    const used = usedNagAcknowledgments(app);
    for (const a of acknowledgments(app)) expect(used, `${a.path} ${a.id}`).toContain(`${a.path} ${a.id}`);
  });

  it('acknowledges Timestream maintenance mode (CloudFormation validation) and its encryption only in that mode', () => {
    const app = synth('timeSeries=timestream');
    const extra = acknowledgments(app)
      .filter((a) => a.path.includes('/Storage/T') || a.path.includes('/Storage/P'))
      .map((a) => `${a.path.replace('FlexoTwin/', '')} ${a.id}`);
    expect(extra.sort()).toEqual(
      [
        'Storage/ProductionSeries CloudFormation-Validate::W3697',
        'Storage/TelemetrySeries CloudFormation-Validate::W3697',
        'Storage/TimeSeriesDatabase AwsSolutions-TS3',
        'Storage/TimeSeriesDatabase CloudFormation-Validate::W3697',
      ].sort(),
    );
    // The CloudFormation validator did report them, and the report carries our reason.
    const cfn = validationReport(app).pluginReports.find((r) => r.pluginName === 'CloudFormation Validate');
    const suppressed = cfn?.suppressedViolations ?? [];
    expect(suppressed.map((v) => v.violatingConstructs.map((c) => c.constructPath)).sort()).toEqual([
      ['FlexoTwin/Storage/ProductionSeries'],
      ['FlexoTwin/Storage/TelemetrySeries'],
      ['FlexoTwin/Storage/TimeSeriesDatabase'],
    ]);
    expect(new Set(suppressed.map((v) => v.ruleName))).toEqual(new Set(['W3697']));
    for (const v of suppressed) expect(v.reason).toMatch(/maintenance mode/);
    const used = usedNagAcknowledgments(app);
    expect(used).toContain('FlexoTwin/Storage/TimeSeriesDatabase AwsSolutions-TS3');
    expect(used).toContain('FlexoTwin/Processing/Processor AwsSolutions-IAM5[Resource::*]');
  });

  it('grants "*" resources only where the action has no resource-level permissions', () => {
    const app = synth('timeSeries=timestream');
    const stack = app.node.findChild('FlexoTwin') as Stack;
    const template = Template.fromStack(stack);
    const wildcards: string[] = [];
    for (const [id, policy] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
      for (const s of policy.Properties.PolicyDocument.Statement) {
        for (const r of [s.Resource].flat()) {
          const name = nagResourceName(stack, stack.resolve(r));
          if (name === '*')
            wildcards.push(`${id.replace(/[0-9A-F]{8}$/, '')} ${[s.Action].flat().join(',')}`);
        }
      }
    }
    expect(wildcards.sort()).toEqual([
      'ApiHandlerRoleDefaultPolicy iot:ListRetainedMessages,timestream:DescribeEndpoints',
      'IotEndpointLookupCustomResourcePolicy iot:DescribeEndpoint',
      'ProcessingProcessorRoleDefaultPolicy timestream:DescribeEndpoints',
    ]);
  });
});

describe('the stack', () => {
  const { stack } = fullApp();
  const template = Template.fromStack(stack);

  it('outputs what a deployer needs next: API URL, IoT endpoint, bucket, dashboard, policy and thing type', () => {
    for (const name of [
      'ApiUrl',
      'IotDataEndpoint',
      'RawBucket',
      'DashboardUrl',
      'DevicePolicyName',
      'ThingTypeName',
    ]) {
      template.hasOutput(name, { Value: Match.anyValue(), Description: Match.anyValue() });
    }
    template.hasOutput('ApiUrl', {
      Value: {
        'Fn::Join': [
          '',
          [
            'https://',
            { Ref: logicalId(stack.api.httpApi) },
            '.execute-api.',
            { Ref: 'AWS::Region' },
            '.',
            { Ref: 'AWS::URLSuffix' },
            '/',
          ],
        ],
      },
    });
    template.hasOutput('DevicePolicyName', { Value: { Ref: Match.stringLikeRegexp('^FleetDevicePolicy') } });
  });

  it('seeds the components at deploy, again when the seed code changes, before the functions that read them', () => {
    const seeder = stack.seed.seeder;
    const trigger = Object.entries(template.findResources('Custom::Trigger'));
    expect(trigger).toHaveLength(1);
    const [triggerId, resource] = trigger[0] as [
      string,
      { Properties: Record<string, unknown>; DependsOn: string[] },
    ];
    // executeOnHandlerChange: the trigger runs the function's current version, so new code is a new version.
    expect(resource.Properties.HandlerArn).toEqual(stack.resolve(seeder.function.currentVersion.functionArn));
    expect(resource.Properties.HandlerArn).toEqual({
      Ref: expect.stringMatching(/SeederFunctionCurrentVersion/),
    });
    expect(resource.DependsOn).toContain(logicalId(stack.storage.table('components')));
    const functions = template.findResources('AWS::Lambda::Function');
    for (const fn of [stack.processing.processor.function, stack.api.handler.function]) {
      expect(functions[logicalId(fn)]?.DependsOn, fn.node.path).toContain(triggerId);
    }
    // The seed may put component rows and nothing else.
    const role = logicalId(
      stack.node.findChild('ComponentSeed').node.findChild('Seeder').node.findChild('Role'),
    );
    const statements = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }),
    ).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements.map((s: { Action: unknown }) => s.Action)).toEqual([
      ['logs:CreateLogStream', 'logs:PutLogEvents'],
      'dynamodb:PutItem',
    ]);
  });
});

describe('configuration from context', () => {
  it('keeps cdk.json to FlexoTwin settings the schema accepts, plus CDK feature flags', () => {
    const keys = Object.keys(configSchema.shape);
    for (const key of Object.keys(CDK_JSON.context)) {
      expect(keys.includes(key) || key.startsWith('@aws-cdk'), key).toBe(true);
    }
    expect(CDK_JSON.context['@aws-cdk/core:validateAgainstDefaultRules']).toBe(true);
    expect(CDK_JSON.notices).toBe(false);
    expect(readConfig(testApp().node)).toMatchObject({
      timeSeries: 'dynamodb',
      machines: ['C_FL104', 'C_FL105', 'C_FL106'],
    });
  });

  it.each([
    [{ timeSeries: 'influxdb' }, /-c timeSeries:/],
    [{ batchSize: 100, batchWindowSeconds: 0 }, /batchWindowSeconds: must be ≥ 1 when batchSize > 10/],
    [{ logRetentionDays: 10 }, /logRetentionDays: must be one of 1, 3, 5, 7, 14, 30/],
    [{ alarmEmail: 'not-an-address' }, /-c alarmEmail:/],
    [{ rawGlacierDays: 20 }, /rawExpireDays: the raw lifecycle must be increasing/],
  ])('rejects %j with a message naming the setting', (context, message) => {
    expect(() => readConfig(testApp(context).node)).toThrow(message);
  });
});
