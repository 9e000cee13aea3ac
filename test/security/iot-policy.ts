/**
 * A small evaluator of AWS IoT Core policy documents, enough to ask "may this device do that?" of the
 * device policy (lib/device-policy.ts) as IoT Core would answer it:
 *
 * - thing policy variables are resolved from the connection: the thing name is the MQTT client id,
 *   and only when that thing is attached to the certificate the device presented
 *   (`iot:Connection.Thing.IsAttached`); a statement whose resource names an unresolved variable does
 *   not match (IoT Core denies);
 * - resources are matched as IoT policy ARNs: `*` and `?` are the only wildcards; the MQTT wildcards
 *   `+` and `#` are ordinary characters (subscribing to `#` needs a `topicfilter/#` resource);
 * - Publish and Receive name `topic/<topic>`, Subscribe `topicfilter/<filter>`, Connect `client/<id>`;
 * - an explicit Deny wins, then any Allow; otherwise denied. Conditions: `Bool` and `StringEquals`;
 *   any other operator makes the evaluation throw, so a policy cannot grow a condition this ignores.
 */
import type { PolicyDocument } from '../../lib/device-policy.js';

export interface Connection {
  /** The MQTT client id the device connects with. */
  readonly clientId: string;
  /** Things the presented certificate is attached to (AttachThingPrincipal). */
  readonly attachedThings: readonly string[];
}

export type IotAction = 'iot:Connect' | 'iot:Publish' | 'iot:Subscribe' | 'iot:Receive' | 'iot:RetainPublish';

export interface IotRequest {
  readonly action: IotAction;
  /** The resource without the `arn:…:iot:region:account:` prefix: `topic/…`, `topicfilter/…`, `client/…`. */
  readonly resource: string;
}

export type Decision = 'allowed' | 'denied';

/** The policy variables a connection resolves (undefined: not resolved). */
export function policyVariables(connection: Connection): Readonly<Record<string, string | undefined>> {
  const attached = connection.attachedThings.includes(connection.clientId);
  return {
    'iot:ClientId': connection.clientId,
    'iot:Connection.Thing.ThingName': attached ? connection.clientId : undefined,
    'iot:Connection.Thing.IsAttached': String(attached),
  };
}

/** `${var}` replaced by its value; undefined when one is not resolved. */
export function substitute(
  text: string,
  variables: Readonly<Record<string, string | undefined>>,
): string | undefined {
  let unresolved = false;
  const out = text.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
    const value = variables[name];
    if (value === undefined) unresolved = true;
    return value ?? '';
  });
  return unresolved ? undefined : out;
}

/** IoT/IAM ARN matching: `*` any run of characters, `?` one; everything else literal. */
export function arnMatches(pattern: string, value: string): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 's').test(value);
}

function conditionHolds(
  condition: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>> | undefined,
  variables: Readonly<Record<string, string | undefined>>,
): boolean {
  if (condition === undefined) return true;
  return Object.entries(condition).every(([operator, tests]) => {
    if (operator !== 'Bool' && operator !== 'StringEquals')
      throw new Error(`condition operator ${operator} is not evaluated`);
    return Object.entries(tests).every(([key, expected]) => {
      const actual = variables[key];
      const wanted = Array.isArray(expected) ? expected : [expected as string];
      return (
        actual !== undefined && wanted.some((w) => (operator === 'Bool' ? w.toLowerCase() : w) === actual)
      );
    });
  });
}

/** Whether `policy` lets `connection` make `request` (`arnPrefix` as in the document, e.g. arn:aws:iot:r:a). */
export function evaluate(
  policy: PolicyDocument,
  arnPrefix: string,
  connection: Connection,
  request: IotRequest,
): Decision {
  const variables = policyVariables(connection);
  const resource = `${arnPrefix}:${request.resource}`;
  const applies = (statement: PolicyDocument['Statement'][number]) =>
    statement.Action.some((a) => arnMatches(a, request.action)) &&
    statement.Resource.some((r) => {
      const resolved = substitute(r, variables);
      return resolved !== undefined && arnMatches(resolved, resource);
    }) &&
    conditionHolds(statement.Condition, variables);
  const statements = policy.Statement.filter(applies);
  if (statements.some((s) => s.Effect === 'Deny')) return 'denied';
  return statements.some((s) => s.Effect === 'Allow') ? 'allowed' : 'denied';
}

/** A device's MQTT session as IoT Core authorizes it: CONNECT, then each operation. */
export function session(policy: PolicyDocument, arnPrefix: string, connection: Connection) {
  const ask = (action: IotAction, resource: string) =>
    evaluate(policy, arnPrefix, connection, { action, resource });
  return {
    connect: () => ask('iot:Connect', `client/${connection.clientId}`),
    publish: (topic: string) => ask('iot:Publish', `topic/${topic}`),
    retainPublish: (topic: string) => ask('iot:RetainPublish', `topic/${topic}`),
    subscribe: (filter: string) => ask('iot:Subscribe', `topicfilter/${filter}`),
    receive: (topic: string) => ask('iot:Receive', `topic/${topic}`),
  };
}
