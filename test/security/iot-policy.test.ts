/**
 * The device policy, evaluated (./iot-policy.ts) rather than read: what a device holding the certificate
 * of thing C_FL104 may do, with the document lib/device-policy.ts builds and with the one the synthesised
 * stack deploys (tokens resolved), in both ingest modes. Its own work is allowed; connecting as another
 * thing or without an attached certificate, publishing as another device, subscribing to '#' or to
 * every device's topics, receiving another device's alarms, updating its shadow, publishing alarms or
 * retained messages — all denied. test/infra/device-fleet.test.ts checks the document's text.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { basicIngestTopic, INGEST_RULES, topics } from '../../lambdas/core/ingest-rules.js';
import { MACHINE_ID_PATTERN } from '../../lambdas/core/messages.js';
import { DeviceFleet } from '../../lib/constructs/device-fleet.js';
import { devicePolicyDocument, type PolicyDocument, THING } from '../../lib/device-policy.js';
import { arnMatches, type Connection, evaluate, session, substitute } from './iot-policy.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-central-1';
const ARN = `arn:aws:iot:${REGION}:${ACCOUNT}`;
const ME = 'C_FL104';
const OTHER = 'C_FL105';
const shadow = (thing: string, op: string) => `$aws/things/${thing}/shadow/name/health/${op}`;
const rule = (kind: 'telemetry' | 'production') =>
  INGEST_RULES.find((r) => r.kind === kind) as (typeof INGEST_RULES)[number];

/** The policy document of the synthesised DeviceFleet, its CloudFormation tokens resolved. */
function deployedDocument(basicIngest: boolean): PolicyDocument {
  const stack = new Stack(new App(), 'Test', { env: { account: ACCOUNT, region: REGION } });
  new DeviceFleet(stack, 'Fleet', { basicIngest });
  const policies = Object.values(Template.fromStack(stack).findResources('AWS::IoT::Policy'));
  expect(policies).toHaveLength(1);
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': REGION,
    'AWS::AccountId': ACCOUNT,
  };
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const v = value as Record<string, unknown>;
    if (typeof v.Ref === 'string') {
      const resolved = pseudo[v.Ref];
      if (resolved === undefined) throw new Error(`unresolved Ref ${v.Ref}`);
      return resolved;
    }
    if (Array.isArray(v['Fn::Join'])) {
      const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => resolve(p) as string).join(sep);
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
  };
  return resolve(policies[0]?.Properties.PolicyDocument) as PolicyDocument;
}

const me: Connection = { clientId: ME, attachedThings: [ME] };

for (const basicIngest of [false, true]) {
  const mode = basicIngest ? 'Basic Ingest' : 'through the broker';
  const ingestTopic = (thing: string, kind: 'telemetry' | 'production') =>
    basicIngest ? basicIngestTopic(rule(kind), topics[kind](thing)) : topics[kind](thing);

  describe(`device policy (${mode})`, () => {
    const documents = {
      'lib/device-policy.ts': devicePolicyDocument({ arnPrefix: ARN, basicIngest }),
      'the synthesised stack': deployedDocument(basicIngest),
    };

    for (const [source, policy] of Object.entries(documents)) {
      it(`lets a device do its own work, and nothing else (${source})`, () => {
        const device = session(policy, ARN, me);
        // Its own work.
        expect(device.connect()).toBe('allowed');
        for (const kind of ['telemetry', 'production'] as const)
          expect(device.publish(ingestTopic(ME, kind)), kind).toBe('allowed');
        expect(device.publish(shadow(ME, 'get'))).toBe('allowed');
        for (const filter of [
          topics.anomalies(ME),
          shadow(ME, 'get/accepted'),
          shadow(ME, 'get/rejected'),
          shadow(ME, 'update/documents'),
        ]) {
          expect(device.subscribe(filter), filter).toBe('allowed');
          expect(device.receive(filter), filter).toBe('allowed');
        }

        // Another device's identity.
        expect(session(policy, ARN, { clientId: OTHER, attachedThings: [ME] }).connect()).toBe('denied');
        expect(session(policy, ARN, { clientId: ME, attachedThings: [] }).connect()).toBe('denied');
        expect(session(policy, ARN, { clientId: ME, attachedThings: [OTHER] }).connect()).toBe('denied');
        // Another device's topics, either way in.
        for (const kind of ['telemetry', 'production'] as const) {
          expect(device.publish(topics[kind](OTHER))).toBe('denied');
          expect(device.publish(basicIngestTopic(rule(kind), topics[kind](OTHER)))).toBe('denied');
        }
        // The other ingest mode's topics are not its own.
        for (const kind of ['telemetry', 'production'] as const) {
          const otherWay = basicIngest ? topics[kind](ME) : basicIngestTopic(rule(kind), topics[kind](ME));
          expect(device.publish(otherWay), otherWay).toBe('denied');
        }
        // Everyone's traffic.
        for (const filter of [
          '#',
          'flexotwin/#',
          'flexotwin/+/telemetry',
          'flexotwin/+/anomalies',
          '$aws/things/+/shadow/#',
          '$aws/#',
          '+/+/+',
        ])
          expect(device.subscribe(filter), filter).toBe('denied');
        expect(device.subscribe(topics.anomalies(OTHER))).toBe('denied');
        expect(device.receive(topics.anomalies(OTHER))).toBe('denied');
        expect(device.receive(topics.telemetry(OTHER))).toBe('denied');
        // Its shadow is read-only; alarms are the processor's to publish; no retained messages.
        for (const op of ['update', 'delete']) expect(device.publish(shadow(ME, op)), op).toBe('denied');
        expect(device.publish(shadow(OTHER, 'get'))).toBe('denied');
        expect(device.publish(topics.anomalies(ME))).toBe('denied');
        expect(device.retainPublish(ingestTopic(ME, 'telemetry'))).toBe('denied');
      });
    }

    it('for any two things and any topic: publish and subscribe only to the device’s own names', () => {
      const policy = documents['lib/device-policy.ts'];
      const thingArb = fc.stringMatching(MACHINE_ID_PATTERN);
      const topicArb = (thing: string, other: string) =>
        fc.oneof(
          fc.constantFrom(
            ingestTopic(thing, 'telemetry'),
            ingestTopic(thing, 'production'),
            ingestTopic(other, 'telemetry'),
            topics.anomalies(thing),
            shadow(thing, 'get'),
            shadow(thing, 'update'),
            `flexotwin/${thing}/telemetry/extra`,
            `flexotwin/${thing}`,
          ),
          fc.string({ maxLength: 60 }),
        );
      const own = (thing: string) =>
        new Set([ingestTopic(thing, 'telemetry'), ingestTopic(thing, 'production'), shadow(thing, 'get')]);
      const ownFilters = (thing: string) =>
        new Set([
          topics.anomalies(thing),
          shadow(thing, 'get/accepted'),
          shadow(thing, 'get/rejected'),
          shadow(thing, 'update/documents'),
        ]);
      fc.assert(
        fc.property(thingArb, thingArb, fc.boolean(), (thing, other, attached) => {
          fc.pre(thing !== other);
          const connection = { clientId: thing, attachedThings: attached ? [thing] : [other] };
          const device = session(policy, ARN, connection);
          expect(device.connect()).toBe(attached ? 'allowed' : 'denied');
          fc.assert(
            fc.property(topicArb(thing, other), (topic) => {
              const mayPublish = attached && own(thing).has(topic);
              expect(device.publish(topic), topic).toBe(mayPublish ? 'allowed' : 'denied');
              const maySubscribe = attached && ownFilters(thing).has(topic);
              expect(device.subscribe(topic), topic).toBe(maySubscribe ? 'allowed' : 'denied');
            }),
            { numRuns: 20 },
          );
        }),
        { numRuns: 200 },
      );
    });
  });
}

describe('the evaluator itself', () => {
  it('substitutes variables, refuses unresolved ones, and matches ARNs with * and ? only', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: IoT policy variable syntax, substituted by the evaluator.
    expect(substitute('client/${iot:ClientId}', { 'iot:ClientId': 'a' })).toBe('client/a');
    expect(substitute(`client/${THING}`, {})).toBeUndefined();
    expect(arnMatches('topic/a/*', 'topic/a/b/c')).toBe(true);
    expect(arnMatches('topic/a/?', 'topic/a/b')).toBe(true);
    expect(arnMatches('topicfilter/#', 'topicfilter/a')).toBe(false);
    expect(arnMatches('topicfilter/a/+', 'topicfilter/a/b')).toBe(false);
    expect(arnMatches('topicfilter/a/+', 'topicfilter/a/+')).toBe(true);
    const policy: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['iot:*'], Resource: [`${ARN}:topic/*`] },
        { Effect: 'Deny', Action: ['iot:Publish'], Resource: [`${ARN}:topic/secret`] },
      ],
    };
    expect(evaluate(policy, ARN, me, { action: 'iot:Publish', resource: 'topic/open' })).toBe('allowed');
    expect(evaluate(policy, ARN, me, { action: 'iot:Publish', resource: 'topic/secret' })).toBe('denied');
    expect(evaluate(policy, ARN, me, { action: 'iot:Connect', resource: `client/${ME}` })).toBe('denied');
    const conditioned: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['iot:Connect'],
          Resource: ['*'],
          Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
        },
      ],
    };
    expect(() => evaluate(conditioned, ARN, me, { action: 'iot:Connect', resource: 'client/x' })).toThrow(
      /IpAddress/,
    );
  });
});
