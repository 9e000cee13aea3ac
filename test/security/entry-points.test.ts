/**
 * Unauthenticated ways into the deployed stack: only GET /api/health. test/infra/api.test.ts checks
 * the HTTP API itself — one route per entry of the route table, AWS_IAM on each but GET /api/health, no
 * authorizer, invoke permissions per route. This adds what would bypass it, across the whole template
 * (both time-series backends, both ingest modes): no other API, no function URL, no custom IoT
 * authorizer, no Lambda permission for a principal without a source, no resource policy open to '*'.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ROUTES, type RouteSpec } from '../../lambdas/handlers/api/routes.js';
import { flexoTwin } from '../infra/synth.js';

const variants = [
  { timeSeries: 'dynamodb', basicIngest: false },
  { timeSeries: 'timestream', basicIngest: true },
] as const;

/** Every statement of every resource policy in the template. */
function resourcePolicyStatements(template: Template) {
  const out: { resource: string; statement: Record<string, unknown> }[] = [];
  for (const [type, property] of [
    ['AWS::S3::BucketPolicy', 'PolicyDocument'],
    ['AWS::SQS::QueuePolicy', 'PolicyDocument'],
    ['AWS::SNS::TopicPolicy', 'PolicyDocument'],
  ] as const) {
    for (const [id, r] of Object.entries(template.findResources(type)))
      for (const statement of r.Properties[property].Statement as Record<string, unknown>[])
        out.push({ resource: `${type} ${id}`, statement });
  }
  return out;
}

describe('entry points of the deployed stack', () => {
  for (const context of variants) {
    it(`has none without authentication but GET /api/health (${JSON.stringify(context)})`, () => {
      const { template } = flexoTwin(context);
      template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
      template.resourceCountIs('AWS::ApiGateway::RestApi', 0);
      template.resourceCountIs('AWS::Lambda::Url', 0);
      template.resourceCountIs('AWS::IoT::Authorizer', 0);
      template.resourceCountIs('AWS::AppSync::GraphQLApi', 0);

      const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
        (r) => r.Properties as { RouteKey: string; AuthorizationType?: string },
      );
      expect(routes).toHaveLength((ROUTES as readonly RouteSpec[]).length);
      expect(routes.filter((r) => r.AuthorizationType !== 'AWS_IAM').map((r) => r.RouteKey)).toEqual([
        'GET /api/health',
      ]);
      expect(routes.map((r) => r.RouteKey)).not.toContain('$default');

      for (const [id, p] of Object.entries(template.findResources('AWS::Lambda::Permission'))) {
        const props = p.Properties as { Principal: string; SourceArn?: unknown };
        expect(props.Principal, id).not.toBe('*');
        // A service may invoke only from its own resource (the API's route, the IoT rule, the alarm).
        if (props.Principal.endsWith('.amazonaws.com')) expect(props.SourceArn, id).toBeDefined();
      }
      const statements = resourcePolicyStatements(template);
      expect(statements.length).toBeGreaterThan(0);
      for (const { resource, statement } of statements) {
        if (statement.Effect !== 'Allow') continue;
        const principal = JSON.stringify(statement.Principal ?? null);
        expect(principal, `${resource}: ${JSON.stringify(statement)}`).not.toMatch(/^"\*"$|"AWS":"\*"/);
      }
    });
  }
});
