import { Capture, Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ROUTES, type RouteSpec } from '../../lambdas/handlers/api/routes.js';
import { FUNCTION_ENV } from '../../lambdas/shared/config.js';
import { ACCESS_LOG_FORMAT, API_TIMEOUT, gatewayPath } from '../../lib/constructs/api.js';
import type { FlexoTwinStack } from '../../lib/flexotwin-stack.js';
import { flexoTwin, logicalId, rendered } from './synth.js';

const routes = ROUTES as readonly RouteSpec[];

function routesOf(template: Template) {
  return Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties) as {
    RouteKey: string;
    AuthorizationType?: string;
    Target: unknown;
  }[];
}

function statementsOf(stack: FlexoTwinStack, template: Template) {
  const role = logicalId(stack.api.handler.role);
  return Object.values(
    template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }),
  ).flatMap(
    (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
  );
}

describe('gatewayPath', () => {
  it('turns the last parameter of a greedy route into a greedy path variable', () => {
    expect(gatewayPath({ path: '/api/components/{name}', greedy: true } as RouteSpec)).toBe(
      '/api/components/{name+}',
    );
    expect(gatewayPath({ path: '/api/machines/{machine_id}/oee' } as RouteSpec)).toBe(
      '/api/machines/{machine_id}/oee',
    );
  });
});

describe('Api construct', () => {
  const { stack, template } = flexoTwin();

  it('creates one route per entry of the handler route table, all to the API function (payload 2.0)', () => {
    const created = routesOf(template);
    expect(created.map((r) => r.RouteKey).sort()).toEqual(
      routes.map((r) => `${r.method} ${gatewayPath(r)}`).sort(),
    );
    template.resourceCountIs('AWS::ApiGatewayV2::Integration', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: rendered(stack, stack.api.handler.function.functionArn),
    });
    const integration = Object.keys(template.findResources('AWS::ApiGatewayV2::Integration'))[0];
    for (const route of created) {
      expect(route.Target).toEqual({ 'Fn::Join': ['', ['integrations/', { Ref: integration }]] });
    }
  });

  it('requires IAM (SigV4) on every route but the public GET /api/health', () => {
    const byKey = new Map(routesOf(template).map((r) => [r.RouteKey, r.AuthorizationType]));
    const publicRoutes = routes.filter((r) => r.public === true).map((r) => `${r.method} ${r.path}`);
    expect(publicRoutes).toEqual(['GET /api/health']);
    for (const route of routes) {
      const key = `${route.method} ${gatewayPath(route)}`;
      expect(byKey.get(key), key).toBe(route.public === true ? 'NONE' : 'AWS_IAM');
    }
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
  });

  it('lets API Gateway invoke the function for its routes only, one permission per route', () => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (p) =>
        JSON.stringify(p.Properties.FunctionName) ===
        JSON.stringify(rendered(stack, stack.api.handler.function.functionArn)),
    );
    expect(permissions).toHaveLength(routes.length);
    for (const p of permissions) {
      expect(p.Properties.Principal).toBe('apigateway.amazonaws.com');
      expect(JSON.stringify(p.Properties.SourceArn)).toContain(logicalId(stack.api.httpApi));
    }
  });

  it('throttles the auto-deployed default stage from context and writes JSON access logs with the request id', () => {
    const format = new Capture();
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: {
        DestinationArn: Match.anyValue(),
        Format: format,
      },
    });
    const fields = JSON.parse(format.asString());
    expect(fields).toEqual(ACCESS_LOG_FORMAT);
    expect(fields.requestId).toBe('$context.requestId');
    expect(fields.status).toBe('$context.status');
    expect(JSON.stringify(template.findResources('AWS::ApiGatewayV2::Stage'))).toContain(
      logicalId(stack.api.accessLogs),
    );
    const logs = template.findResources('AWS::Logs::LogGroup')[logicalId(stack.api.accessLogs)];
    expect(logs?.Properties.RetentionInDays).toBe(30);

    const custom = flexoTwin({ apiRateLimit: 5, apiBurstLimit: 10 }).template;
    custom.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
    });
  });

  it('has no CORS by default, and allows the context origins with the SigV4 headers when given', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.absent() });
    const withCors = flexoTwin({ corsOrigins: 'https://ops.example.com, https://twin.example.com' }).template;
    withCors.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: ['https://ops.example.com', 'https://twin.example.com'],
        AllowMethods: ['GET', 'PUT', 'POST', 'OPTIONS'],
        AllowHeaders: Match.arrayWith(['authorization', 'x-amz-date', 'x-amz-security-token']),
      },
    });
  });

  it('runs the API function on Node.js 22 / arm64 with the storage environment and the IoT endpoint', () => {
    const env = new Capture();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: API_TIMEOUT.toSeconds(),
      MemorySize: 512,
      Environment: { Variables: env },
      LoggingConfig: { LogGroup: rendered(stack, stack.api.handler.logGroup.logGroupName) },
      Description: Match.stringLikeRegexp('HTTP API'),
    });
    const vars = env.asObject();
    expect(vars).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'flexotwin-api',
      NODE_OPTIONS: '--enable-source-maps',
      RAW_BUCKET: rendered(stack, stack.storage.rawBucket.bucketName),
      COMPONENTS_TABLE: { Ref: logicalId(stack.storage.table('components')) },
      ANOMALIES_TABLE: { Ref: logicalId(stack.storage.table('anomalies')) },
      MACHINE_STATE_TABLE: { Ref: logicalId(stack.storage.table('machineState')) },
      TELEMETRY_TABLE: { Ref: logicalId(stack.storage.table('telemetry')) },
      IOT_DATA_ENDPOINT: {
        'Fn::Join': [
          '',
          ['https://', { 'Fn::GetAtt': [expect.stringMatching(/^IotEndpointLookup/), 'endpointAddress'] }],
        ],
      },
    });
    for (const name of FUNCTION_ENV.api.filter((n) => n !== 'AWS_REGION'))
      expect(vars[name], name).toBeDefined();
  });

  it('grants reads of what it serves and only the two writes its routes make', () => {
    const { storage } = stack;
    const arn = (token: string) => rendered(stack, token);
    const anomalies = storage.table('anomalies').tableArn;
    const statements = statementsOf(stack, template);
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:Scan', 'dynamodb:UpdateItem'],
          Resource: arn(storage.table('components').tableArn),
        },
        { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: arn(anomalies) },
        {
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:Scan'],
          Resource: arn(storage.table('machineState').tableArn),
        },
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: arn(storage.rawBucket.arnForObjects('models/*')),
        },
        { Effect: 'Allow', Action: 's3:ListBucket', Resource: arn(storage.rawBucket.bucketArn) },
        { Effect: 'Allow', Action: 'iot:ListRetainedMessages', Resource: '*' },
      ]),
    );
    // Queries: the bucketed time series and the two alarm indexes, never the alarm table itself.
    const query = statements.find((s) => s.Action === 'dynamodb:Query');
    expect(query?.Resource).toEqual(
      expect.arrayContaining([
        arn(storage.table('telemetry').tableArn),
        arn(`${anomalies}/index/by_machine`),
        arn(`${anomalies}/index/by_state`),
      ]),
    );
    expect(query?.Resource).toHaveLength(3);
    const writes = statements.flatMap((s) =>
      (Array.isArray(s.Action) ? s.Action : [s.Action])
        .filter((a) => /Put|Update|Delete|Write/.test(a) && !a.startsWith('logs:'))
        .map((a) => `${a} ${JSON.stringify(s.Resource)}`),
    );
    expect(writes).toEqual([
      `dynamodb:UpdateItem ${JSON.stringify(arn(storage.table('components').tableArn))}`,
      `dynamodb:PutItem ${JSON.stringify(arn(anomalies))}`,
    ]);
    // (plus writing its own log group)
    expect(statements).toHaveLength(8);
  });

  it('reads Timestream with Select on its two tables when timeSeries=timestream', () => {
    const ts = flexoTwin({ timeSeries: 'timestream' });
    const statements = statementsOf(ts.stack, ts.template);
    const select = statements.find((s) => s.Action === 'timestream:Select');
    expect(select?.Resource).toHaveLength(2);
    expect(statements.filter((s) => s.Resource === '*').map((s) => s.Action)).toEqual([
      ['iot:ListRetainedMessages', 'timestream:DescribeEndpoints'],
    ]);
  });
});
