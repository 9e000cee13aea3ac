/**
 * What the CDK app holds (bin/app.ts runs it; the tests synthesise the same): the FlexoTwin stack from the
 * validated context, checked by cdk-nag's AwsSolutions pack on top of CDK's built-in CloudFormation
 * validation. A finding that is not acknowledged (with a written reason, on the construct it concerns)
 * fails the synth.
 */
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readConfig } from './config.js';
import { FlexoTwinStack } from './flexotwin-stack.js';

/** The stack name; `flexotwin provision --stack` defaults to it. */
export const STACK_NAME = 'FlexoTwin';

export function defineApp(app: App, env: NodeJS.ProcessEnv = process.env): FlexoTwinStack {
  const stack = new FlexoTwinStack(app, STACK_NAME, {
    config: readConfig(app.node),
    // Environment-agnostic unless the CLI knows the target (cdk deploy with credentials sets both).
    ...(env.CDK_DEFAULT_ACCOUNT !== undefined && {
      env: { account: env.CDK_DEFAULT_ACCOUNT, region: env.CDK_DEFAULT_REGION },
    }),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
