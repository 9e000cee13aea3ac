/**
 * Synthesis helpers for the infrastructure tests: an App with the context of cdk.json (feature flags and
 * defaults, as `cdk synth` sees them) plus overrides, and bundling disabled (`aws:cdk:bundling-stacks`),
 * so no test runs esbuild.
 */
import { readFileSync } from 'node:fs';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { defineApp } from '../../lib/app.js';
import { readConfig } from '../../lib/config.js';
import { FlexoTwinStack } from '../../lib/flexotwin-stack.js';

export const CDK_JSON = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  app: string;
  context: Record<string, unknown>;
  [key: string]: unknown;
};

export const ENV = { account: '123456789012', region: 'eu-central-1' } as const;

export function testApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { ...CDK_JSON.context, 'aws:cdk:bundling-stacks': [], ...context } });
}

/** An empty stack in a test app, for constructs tested on their own. */
export function emptyStack(context: Record<string, unknown> = {}) {
  const app = testApp(context);
  const stack = new Stack(app, 'Test', { env: ENV });
  return { app, stack, config: readConfig(app.node) };
}

/** The FlexoTwin stack (without the cdk-nag plugin) and its template. */
export function flexoTwin(context: Record<string, unknown> = {}) {
  const app = testApp(context);
  const stack = new FlexoTwinStack(app, 'FlexoTwin', { env: ENV, config: readConfig(app.node) });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The whole app as `cdk synth` builds it: stack, cdk-nag AwsSolutions and CloudFormation validation. */
export function fullApp(context: Record<string, unknown> = {}) {
  const app = testApp(context);
  const stack = defineApp(app, { CDK_DEFAULT_ACCOUNT: ENV.account, CDK_DEFAULT_REGION: ENV.region });
  return { app, stack };
}

/** What a token of `scope`'s stack renders to in the template ({ Ref: … }, { 'Fn::GetAtt': … }, …). */
export function rendered(scope: IConstruct, value: unknown): unknown {
  return Stack.of(scope).resolve(value);
}

/** The logical id of an L1 resource, or of an L2's default child. */
export function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).resolve(Stack.of(construct).getLogicalId(element)) as string;
}
