/**
 * The HTTP API (API Gateway v2, payload 2.0) in front of the API function (lambdas/handlers/api.ts).
 * One route per entry of the handler's own route table (lambdas/handlers/api/routes.ts), so the
 * gateway, the router and the OpenAPI document list the same routes. Every route needs IAM (SigV4)
 * authorization except the one the table marks public (GET /api/health, like the original health
 * check). The default stage is throttled and writes JSON access logs.
 *
 * The function reads everything it serves and writes only what two routes need:
 *   PUT /api/components/{name}      → UpdateItem on the components table (conditional: the row must exist)
 *   POST /api/anomalies/{id}/ack    → GetItem + conditional PutItem on the anomalies table (read-modify-write
 *                                     guarded by a revision, lambdas/adapters/dynamodb/anomalies.ts)
 */
import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ANOMALIES_TABLE } from '../../lambdas/adapters/dynamodb/tables.js';
import { DEFAULT_MODEL_PREFIX } from '../../lambdas/adapters/s3/layout.js';
import { ROUTES, type RouteSpec } from '../../lambdas/handlers/api/routes.js';
import { powertoolsEnv } from '../../lambdas/shared/config.js';
import type { FlexoTwinConfig } from '../config.js';
import { acknowledgeWildcardResource } from '../nag.js';
import { HandlerFunction } from './handler-function.js';
import { type Storage, TIMESTREAM_DESCRIBE_ENDPOINTS_REASON } from './storage.js';

/** Well inside API Gateway's 30 s integration limit; a slow query fails as a 500 with a request id. */
export const API_TIMEOUT = Duration.seconds(15);

/** The headers a SigV4-signing browser client sends (CORS preflight must allow them). */
const SIGV4_HEADERS = [
  'authorization',
  'content-type',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
];

/** One JSON object per request; `$context` variables of HTTP APIs. */
export const ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  error: '$context.error.message',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  caller: '$context.identity.caller',
  userArn: '$context.identity.userArn',
} as const;

/** The gateway path of a route: `{name}` → `{name+}` when the route's last parameter is greedy. */
export function gatewayPath(route: RouteSpec): string {
  return route.greedy === true ? route.path.replace(/\{([a-z_]+)\}$/, '{$1+}') : route.path;
}

export interface ApiProps {
  readonly config: FlexoTwinConfig;
  readonly storage: Storage;
  /** https://<account prefix>-ats.iot.<region>.amazonaws.com (GET /api/health probes it). */
  readonly iotDataEndpoint: string;
}

export class Api extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly handler: HandlerFunction;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { config, storage } = props;

    this.handler = new HandlerFunction(this, 'Handler', {
      handler: 'api',
      description: 'FlexoTwin HTTP API: components, health, prediction, fleet, telemetry, OEE, alarms',
      memorySize: config.apiMemoryMb,
      timeout: API_TIMEOUT,
      environment: {
        ...storage.environment(),
        IOT_DATA_ENDPOINT: props.iotDataEndpoint,
        ...powertoolsEnv('api'),
      },
      logRetention: config.logRetentionDays as logs.RetentionDays,
    });
    this.grantHandler(storage);

    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'FlexoTwin API (IAM/SigV4 on every route but GET /api/health)',
      // The default stage is created below, with throttling and access logs.
      createDefaultStage: false,
      ...(config.corsOrigins.length > 0 && {
        corsPreflight: {
          allowOrigins: config.corsOrigins,
          allowMethods: [
            apigwv2.CorsHttpMethod.GET,
            apigwv2.CorsHttpMethod.PUT,
            apigwv2.CorsHttpMethod.POST,
            apigwv2.CorsHttpMethod.OPTIONS,
          ],
          allowHeaders: SIGV4_HEADERS,
          maxAge: Duration.hours(1),
        },
      }),
    });

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: config.apiRateLimit, burstLimit: config.apiBurstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: apigateway.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FORMAT)),
      },
    });

    const integration = new HttpLambdaIntegration('Handler', this.handler.function);
    const iamAuthorizer = new HttpIamAuthorizer();
    for (const route of ROUTES as readonly RouteSpec[]) {
      const httpRoute = new apigwv2.HttpRoute(this, route.operationId, {
        httpApi: this.httpApi,
        routeKey: apigwv2.HttpRouteKey.with(gatewayPath(route), apigwv2.HttpMethod[route.method]),
        integration,
        authorizer: route.public === true ? new apigwv2.HttpNoneAuthorizer() : iamAuthorizer,
      });
      if (route.public === true) {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${route.method} ${route.path} is public by design, like the original system's health check: it reports only whether storage and the IoT broker are reachable, no data. Every other route needs IAM (SigV4).`,
        });
      }
    }
  }

  /** The stage's invoke URL (https://<api id>.execute-api.<region>.amazonaws.com/). */
  get url(): string {
    return `https://${this.httpApi.apiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}/`;
  }

  private grantHandler(storage: Storage): void {
    const fn = this.handler.function;
    storage.grantTable(fn, 'components', ['Scan', 'GetItem', 'UpdateItem']);
    storage.grantTable(fn, 'anomalies', ['GetItem', 'PutItem']);
    storage.grantIndexQuery(
      fn,
      'anomalies',
      ANOMALIES_TABLE.globalSecondaryIndexes.map((i) => i.indexName),
    );
    storage.grantTable(fn, 'machineState', ['GetItem', 'Scan']);
    storage.grantTimeSeriesRead(fn);
    storage.grantArchiveRead(fn, [DEFAULT_MODEL_PREFIX]);
    // GET /api/health: is the IoT data endpoint reachable with our credentials?
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['iot:ListRetainedMessages'], resources: ['*'] }));

    const reasons = [
      'iot:ListRetainedMessages has no resource-level permissions (resource "*"). It is the health probe of GET /api/health and returns retained topic names only, no payloads.',
      ...(storage.timestream === undefined ? [] : [TIMESTREAM_DESCRIBE_ENDPOINTS_REASON]),
    ];
    acknowledgeWildcardResource(this.handler, '*', reasons.join(' Also: '));
    acknowledgeWildcardResource(
      this.handler,
      storage.rawBucket.arnForObjects(`${DEFAULT_MODEL_PREFIX}*`),
      'POST /api/predict reads the model registry: models/latest.json and models/<version>/model.json. GetObject only, limited to this prefix.',
    );
  }
}
