/**
 * The local IoT rules engine: the ingest rules of lambdas/core/ingest-rules.ts — the very definitions
 * the CDK stack renders to IoT SQL — evaluated in process. A message on a topic a rule's filter matches
 * (or on that rule's Basic Ingest topic, `$aws/rules/<rule>/<topic>`) becomes the rule's projection
 * (base64 payload, topic(), topic(2), timestamp(), kind), which is the body of the queued message.
 */
import {
  applyRule,
  BASIC_INGEST_PREFIX,
  INGEST_RULES,
  type IngestRule,
  parseBasicIngestTopic,
  topicMatches,
} from '../lambdas/core/ingest-rules.js';

export interface RuleMatch {
  readonly rule: IngestRule;
  /** The topic the rule sees in topic(): for Basic Ingest, without the `$aws/rules/<rule>/` prefix. */
  readonly topic: string;
  readonly basicIngest: boolean;
}

/** The ingest rule a published topic triggers, if any. */
export function matchIngestRule(
  publishedTopic: string,
  rules: readonly IngestRule[] = INGEST_RULES,
): RuleMatch | undefined {
  if (isBasicIngestTopic(publishedTopic)) {
    const basic = parseBasicIngestTopic(publishedTopic);
    const rule = basic === undefined ? undefined : rules.find((r) => r.name === basic.rule);
    // Basic Ingest addresses the rule by name; its FROM filter is not consulted (as in IoT Core).
    return rule === undefined || basic === undefined
      ? undefined
      : { rule, topic: basic.topic, basicIngest: true };
  }
  const rule = rules.find((r) => topicMatches(r.topicFilter, publishedTopic));
  return rule === undefined ? undefined : { rule, topic: publishedTopic, basicIngest: false };
}

/** Whether a topic is a Basic Ingest topic (delivered to its rule only, never to subscribers). */
export function isBasicIngestTopic(topic: string): boolean {
  return topic.startsWith(BASIC_INGEST_PREFIX);
}

/** The queued message body: the rule's projection of the message, as JSON. */
export function ingestBody(match: RuleMatch, payload: Uint8Array, receivedAt: number): string {
  return JSON.stringify(applyRule(match.rule, match.topic, payload, receivedAt));
}
