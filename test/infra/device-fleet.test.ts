import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DeviceFleet } from '../../lib/constructs/device-fleet.js';
import { devicePolicyDocument, THING } from '../../lib/device-policy.js';

const ARN = 'arn:aws:iot:eu-central-1:123456789012';

function synth(basicIngest: boolean) {
  const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'eu-central-1' } });
  new DeviceFleet(stack, 'Fleet', { basicIngest });
  return Template.fromStack(stack);
}

describe('device policy document', () => {
  it('lets a device connect only as its own thing, with the certificate attached to it', () => {
    const connect = devicePolicyDocument({ arnPrefix: ARN, basicIngest: false }).Statement[0];
    expect(connect).toEqual({
      Effect: 'Allow',
      Action: ['iot:Connect'],
      Resource: [`${ARN}:client/${THING}`],
      Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
    });
  });

  it('publishes only to its own telemetry and production topics (or their Basic Ingest rules) and shadow get', () => {
    const publish = (basicIngest: boolean) =>
      devicePolicyDocument({ arnPrefix: ARN, basicIngest }).Statement.find((s) =>
        s.Action.includes('iot:Publish'),
      )?.Resource;
    expect(publish(false)).toEqual([
      `${ARN}:topic/flexotwin/${THING}/telemetry`,
      `${ARN}:topic/flexotwin/${THING}/production`,
      `${ARN}:topic/$aws/things/${THING}/shadow/name/health/get`,
    ]);
    expect(publish(true)).toEqual([
      `${ARN}:topic/$aws/rules/flexotwin_telemetry/flexotwin/${THING}/telemetry`,
      `${ARN}:topic/$aws/rules/flexotwin_production/flexotwin/${THING}/production`,
      `${ARN}:topic/$aws/things/${THING}/shadow/name/health/get`,
    ]);
  });

  it('has no wildcard action and no wildcard resource in any statement', () => {
    for (const basicIngest of [false, true]) {
      for (const statement of devicePolicyDocument({ arnPrefix: ARN, basicIngest }).Statement) {
        for (const action of statement.Action) expect(action).not.toMatch(/\*/);
        for (const resource of statement.Resource) {
          expect(resource).not.toMatch(/\*|#|\+/);
          expect(resource).toContain(THING);
        }
      }
    }
  });
});

describe('DeviceFleet construct', () => {
  it('creates the thing type and the policy with the document above', () => {
    const template = synth(false);
    template.resourceCountIs('AWS::IoT::ThingType', 1);
    template.resourceCountIs('AWS::IoT::Policy', 1);
    const policies = template.findResources('AWS::IoT::Policy');
    const document = Object.values(policies)[0]?.Properties.PolicyDocument;
    expect(document.Statement).toHaveLength(4);
    expect(JSON.stringify(document)).toContain(`flexotwin/${THING}/telemetry`);
  });
});
