/**
 * cdk-nag acknowledgments that name exactly one finding. cdk-nag 3 has no prefix matching: a wildcard
 * resource is acknowledged as `AwsSolutions-IAM5[Resource::<flattened ARN>]`, with tokens flattened the
 * way the rule flattens them (`<LogicalId.Arn>`, `<AWS::Region>`), so a new wildcard added later is a
 * new, unacknowledged finding that fails the synth.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A resource (string with tokens) as cdk-nag's IAM5 rule spells it in a finding id. */
export function nagResourceName(scope: IConstruct, resource: string): string {
  return flatten(Stack.of(scope).resolve(resource));
}

/** Acknowledges the IAM5 finding of one wildcard resource on `scope` (and everything under it). */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  Validations.of(scope).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${nagResourceName(scope, resource)}]`,
    reason,
  });
}

function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const o = node as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if (Array.isArray(o['Fn::GetAtt'])) {
      const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if ('Ref' in o) return `<${flatten(o.Ref)}>`;
  }
  return JSON.stringify(node);
}
