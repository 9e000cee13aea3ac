/**
 * One Lambda function from a handler module in lambdas/handlers/, with the defaults every FlexoTwin function
 * shares: Node.js 22 on arm64, bundled by the locally installed esbuild (never Docker) into one minified
 * ESM file with a source map, its own log group with a retention, and its own role that may write to
 * that log group and nothing else until the owning construct grants exactly what the handler uses.
 *
 * The role is ours rather than the one NodejsFunction would create, because that one carries the AWS
 * managed AWSLambdaBasicExecutionRole policy (logs:* on every log group of the account).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  type BundlingOptions,
  NodejsFunction,
  OutputFormat,
  SourceMapMode,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The repository root: bundling resolves entries, tsconfig and the lock file from here, whatever the cwd. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The runtime of every function (the design's choice; see the AwsSolutions-L1 acknowledgment). */
export const RUNTIME = lambda.Runtime.NODEJS_22_X;

/**
 * esbuild turns our ESM (and the CommonJS inside some dependencies) into one ESM file; a bundled
 * CommonJS module that calls `require` for a Node built-in needs a real `require` in ESM scope.
 */
const REQUIRE_SHIM =
  "import{createRequire as __flexotwinRequire}from'node:module';const require=__flexotwinRequire(import.meta.url);";

/** How every handler is bundled (also what bench/ measures). */
export const BUNDLING = {
  format: OutputFormat.ESM,
  target: 'node22',
  mainFields: ['module', 'main'],
  banner: REQUIRE_SHIM,
  minify: true,
  sourceMap: true,
  sourceMapMode: SourceMapMode.DEFAULT,
  // Line mappings are enough for stack traces; embedding the sources would triple the asset.
  sourcesContent: false,
  // The SDK v3 clients are bundled, not taken from the runtime: the exact versions the tests ran against,
  // tree-shaken, loaded from one file at cold start. Measured: the processor is 0.75 MB minified with
  // the SDK inside (0.52 MB zipped with its map), 0.22 MB with the SDK left to the runtime.
  bundleAwsSDK: true,
  externalModules: [],
  // The locally installed esbuild, never a Docker build.
  forceDockerBundling: false,
} satisfies BundlingOptions;

export interface HandlerFunctionProps {
  /** The module under lambdas/handlers/ (without .ts) exporting `handler`. */
  readonly handler: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: logs.RetentionDays;
}

export class HandlerFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `FlexoTwin ${props.handler} function`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, 'lambdas', 'handlers', `${props.handler}.ts`),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      // SDK v3 clients reuse connections by default; the v2-era variable would only be noise.
      awsSdkConnectionReuse: false,
      environment: {
        ...props.environment,
        // Stack traces point into lambdas/*.ts instead of the minified bundle.
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: BUNDLING,
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is the runtime the design fixes for every FlexoTwin function (issue #5): the handlers and their dependencies are built and tested for Node 22 (esbuild target node22); Lambda supports it into 2027. Moving to nodejs24.x is a deliberate upgrade with its own test run, not a drive-by default.',
    });
  }
}

/** Six times the function timeout: the SQS visibility timeout AWS recommends for a Lambda event source. */
export function visibilityTimeoutFor(timeout: Duration): Duration {
  return Duration.seconds(timeout.toSeconds() * 6);
}
