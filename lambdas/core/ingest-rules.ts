/**
 * The IoT rules that route device messages to the processor's queue: one definition that both the CDK
 * ingestion construct (rendered to IoT SQL) and the local rules engine (evaluated in process) read, so
 * the cloud and local wirings cannot drift apart.
 *
 * The payload is forwarded base64-encoded rather than with `SELECT *`: a rule cannot parse a malformed
 * JSON payload, and would drop it before we could quarantine it with a reason.
 */
import type { MessageKind } from './messages.js';

export const TOPIC_ROOT = 'flexotwin';

export const topics = {
  telemetry: (machineId: string) => `${TOPIC_ROOT}/${machineId}/telemetry`,
  production: (machineId: string) => `${TOPIC_ROOT}/${machineId}/production`,
  anomalies: (machineId: string) => `${TOPIC_ROOT}/${machineId}/anomalies`,
} as const;

/** The named shadow holding the digital-twin state. */
export const HEALTH_SHADOW = 'health';

/** One column of a rule's SELECT: what it computes and the name it gets in the queued message. */
export type Projection =
  | { readonly as: string; readonly fn: 'payload_base64' }
  | { readonly as: string; readonly fn: 'topic'; readonly level?: number }
  | { readonly as: string; readonly fn: 'timestamp' }
  | { readonly as: string; readonly fn: 'literal'; readonly value: string };

export interface IngestRule {
  /** IoT rule name ([a-zA-Z0-9_]); also the Basic Ingest topic segment. */
  readonly name: string;
  readonly kind: MessageKind;
  readonly topicFilter: string;
  readonly projection: readonly Projection[];
}

/** The message each rule puts on the ingest queue. */
export interface IngestEnvelope {
  readonly payload: string;
  readonly topic: string;
  readonly topic_machine_id: string;
  readonly received_at: number;
  readonly kind: MessageKind;
}

const projectionFor = (kind: MessageKind): Projection[] => [
  { as: 'payload', fn: 'payload_base64' },
  { as: 'topic', fn: 'topic' },
  { as: 'topic_machine_id', fn: 'topic', level: 2 },
  { as: 'received_at', fn: 'timestamp' },
  { as: 'kind', fn: 'literal', value: kind },
];

export const INGEST_RULES: readonly IngestRule[] = [
  {
    name: 'flexotwin_telemetry',
    kind: 'telemetry',
    topicFilter: `${TOPIC_ROOT}/+/telemetry`,
    projection: projectionFor('telemetry'),
  },
  {
    name: 'flexotwin_production',
    kind: 'production',
    topicFilter: `${TOPIC_ROOT}/+/production`,
    projection: projectionFor('production'),
  },
];

function renderProjection(p: Projection): string {
  switch (p.fn) {
    case 'payload_base64':
      return `encode(*, 'base64') AS ${p.as}`;
    case 'topic':
      return `${p.level === undefined ? 'topic()' : `topic(${p.level})`} AS ${p.as}`;
    case 'timestamp':
      return `timestamp() AS ${p.as}`;
    case 'literal':
      return `'${p.value.replaceAll("'", "''")}' AS ${p.as}`;
  }
}

/** The rule as IoT SQL (version 2016-03-23). */
export function ruleSql(rule: IngestRule): string {
  return `SELECT ${rule.projection.map(renderProjection).join(', ')} FROM '${rule.topicFilter}'`;
}

/** Topics under it go to the named rule only (IoT Core Basic Ingest), never to subscribers. */
export const BASIC_INGEST_PREFIX = '$aws/rules/';

/**
 * Basic Ingest: devices publish straight to the rule (`$aws/rules/<rule>/<topic>`), which skips the
 * message broker and its per-message charge. The rule still sees the plain topic in topic().
 */
export function basicIngestTopic(rule: IngestRule, topic: string): string {
  return `${BASIC_INGEST_PREFIX}${rule.name}/${topic}`;
}

/** A Basic Ingest topic as its rule name and the device's own topic; undefined for any other topic. */
export function parseBasicIngestTopic(topic: string): { rule: string; topic: string } | undefined {
  if (!topic.startsWith(BASIC_INGEST_PREFIX)) return undefined;
  const rest = topic.slice(BASIC_INGEST_PREFIX.length);
  const slash = rest.indexOf('/');
  return slash <= 0 ? undefined : { rule: rest.slice(0, slash), topic: rest.slice(slash + 1) };
}

/** The topic a device means, whether it published there or to the rule's Basic Ingest topic for it. */
export function deviceTopicOf(publishedTopic: string): string {
  return parseBasicIngestTopic(publishedTopic)?.topic ?? publishedTopic;
}

/**
 * The topic a device publishes `topic` to: the topic itself, or with Basic Ingest the rule's reserved
 * topic (the rule whose filter matches). Topics no rule handles are returned unchanged.
 */
export function publishTopic(topic: string, basicIngest: boolean): string {
  if (!basicIngest) return topic;
  const rule = INGEST_RULES.find((r) => topicMatches(r.topicFilter, topic));
  return rule === undefined ? topic : basicIngestTopic(rule, topic);
}

/** MQTT topic-filter matching (`+` one level, `#` the rest). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Evaluates a rule's projection for one message, as the IoT rules engine would. */
export function applyRule(
  rule: IngestRule,
  topic: string,
  payload: Uint8Array,
  receivedAt: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const levels = topic.split('/');
  for (const p of rule.projection) {
    switch (p.fn) {
      case 'payload_base64':
        out[p.as] = toBase64(payload);
        break;
      case 'topic':
        // IoT SQL's topic(n) is 1-based; a missing level is undefined and omitted from the output.
        if (p.level === undefined) out[p.as] = topic;
        else if (levels[p.level - 1] !== undefined) out[p.as] = levels[p.level - 1];
        break;
      case 'timestamp':
        out[p.as] = receivedAt;
        break;
      case 'literal':
        out[p.as] = p.value;
        break;
    }
  }
  return out;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
