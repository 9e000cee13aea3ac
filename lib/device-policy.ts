/**
 * The IoT policy every device certificate gets: a device may connect only as itself and touch only
 * its own topics. Built by a plain function so tests can evaluate the document itself (who may do
 * what), not just its presence in the template.
 */
import { basicIngestTopic, HEALTH_SHADOW, INGEST_RULES, topics } from '../lambdas/core/ingest-rules.js';

/** IoT policy variable: the thing name bound to the connecting certificate (a literal, not a template). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: IoT policy variable syntax, substituted by IoT Core.
export const THING = '${iot:Connection.Thing.ThingName}';

export interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

export interface DevicePolicyOptions {
  /** `arn:<partition>:iot:<region>:<account>` (tokens allowed). */
  readonly arnPrefix: string;
  readonly basicIngest: boolean;
}

export function devicePolicyDocument({ arnPrefix, basicIngest }: DevicePolicyOptions): PolicyDocument {
  const topic = (name: string) => `${arnPrefix}:topic/${name}`;
  const filter = (name: string) => `${arnPrefix}:topicfilter/${name}`;
  const shadow = `$aws/things/${THING}/shadow/name/${HEALTH_SHADOW}`;
  const ownData = [topics.telemetry(THING), topics.production(THING)];
  const publishTopics = basicIngest
    ? INGEST_RULES.map((rule) => basicIngestTopic(rule, topics[rule.kind](THING)))
    : ownData;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        // Client id must equal the thing name, and the certificate must be attached to that thing.
        Effect: 'Allow',
        Action: ['iot:Connect'],
        Resource: [`${arnPrefix}:client/${THING}`],
        Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
      },
      {
        Effect: 'Allow',
        Action: ['iot:Publish'],
        Resource: [...publishTopics.map(topic), topic(`${shadow}/get`)],
      },
      {
        Effect: 'Allow',
        Action: ['iot:Subscribe'],
        Resource: [
          filter(topics.anomalies(THING)),
          filter(`${shadow}/get/accepted`),
          filter(`${shadow}/get/rejected`),
          filter(`${shadow}/update/documents`),
        ],
      },
      {
        Effect: 'Allow',
        Action: ['iot:Receive'],
        Resource: [
          topic(topics.anomalies(THING)),
          topic(`${shadow}/get/accepted`),
          topic(`${shadow}/get/rejected`),
          topic(`${shadow}/update/documents`),
        ],
      },
    ],
  };
}
