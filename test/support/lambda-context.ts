/** A fake Lambda context, in the style of Powertools' packages/testing/src/context.ts. */
import type { Context } from 'aws-lambda';

export function lambdaContext(overrides: Partial<Context> = {}): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionVersion: '$LATEST',
    functionName: 'flexotwin-test-function',
    memoryLimitInMB: '512',
    logGroupName: '/aws/lambda/flexotwin-test-function',
    logStreamName: '2025/10/23/[$LATEST]abcdef123456abcdef123456abcdef12',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:flexotwin-test-function',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
    ...overrides,
  };
}
