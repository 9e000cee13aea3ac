/**
 * The IoT rules shared by CDK and the local rules engine: the exact IoT SQL, MQTT filter matching and
 * the projection the local engine evaluates (it must match what IoT Core would put on the queue).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyRule,
  basicIngestTopic,
  deviceTopicOf,
  HEALTH_SHADOW,
  INGEST_RULES,
  type IngestRule,
  parseBasicIngestTopic,
  publishTopic,
  ruleSql,
  topicMatches,
  topics,
} from '../../lambdas/core/ingest-rules.js';

const rule = (kind: 'telemetry' | 'production'): IngestRule => {
  const found = INGEST_RULES.find((r) => r.kind === kind);
  if (found === undefined) throw new Error(`no ${kind} rule`);
  return found;
};

describe('INGEST_RULES', () => {
  it('has one rule per message kind with valid IoT rule names', () => {
    expect(INGEST_RULES.map((r) => [r.name, r.kind, r.topicFilter])).toEqual([
      ['flexotwin_telemetry', 'telemetry', 'flexotwin/+/telemetry'],
      ['flexotwin_production', 'production', 'flexotwin/+/production'],
    ]);
    for (const r of INGEST_RULES) expect(r.name).toMatch(/^[a-zA-Z0-9_]+$/);
  });

  it('matches the topics devices publish to, and not the anomalies topic', () => {
    expect(topicMatches(rule('telemetry').topicFilter, topics.telemetry('C_FL104'))).toBe(true);
    expect(topicMatches(rule('production').topicFilter, topics.production('C_FL104'))).toBe(true);
    expect(topicMatches(rule('telemetry').topicFilter, topics.production('C_FL104'))).toBe(false);
    for (const r of INGEST_RULES)
      expect(topicMatches(r.topicFilter, topics.anomalies('C_FL104'))).toBe(false);
    expect(HEALTH_SHADOW).toBe('health');
  });
});

describe('ruleSql', () => {
  it.each([
    [
      'telemetry',
      "SELECT encode(*, 'base64') AS payload, topic() AS topic, topic(2) AS topic_machine_id, timestamp() AS received_at, 'telemetry' AS kind FROM 'flexotwin/+/telemetry'",
    ],
    [
      'production',
      "SELECT encode(*, 'base64') AS payload, topic() AS topic, topic(2) AS topic_machine_id, timestamp() AS received_at, 'production' AS kind FROM 'flexotwin/+/production'",
    ],
  ] as const)('renders the %s rule', (kind, sql) => {
    expect(ruleSql(rule(kind))).toBe(sql);
  });

  it('escapes quotes in literals', () => {
    const quoted: IngestRule = {
      name: 'q',
      kind: 'telemetry',
      topicFilter: 'a/#',
      projection: [{ as: 'k', fn: 'literal', value: "it's" }],
    };
    expect(ruleSql(quoted)).toBe("SELECT 'it''s' AS k FROM 'a/#'");
  });
});

describe('topicMatches', () => {
  it.each([
    ['flexotwin/+/telemetry', 'flexotwin/C_FL104/telemetry', true],
    ['flexotwin/+/telemetry', 'flexotwin/C_FL104/telemetry/extra', false],
    ['flexotwin/+/telemetry', 'flexotwin/telemetry', false],
    ['flexotwin/+/telemetry', 'flexotwin/a/b/telemetry', false],
    ['flexotwin/+/telemetry', 'flexotwin//telemetry', true],
    ['flexotwin/+/telemetry', 'Flexotwin/C_FL104/telemetry', false],
    ['flexotwin/+/+', 'flexotwin/C_FL104/anomalies', true],
    ['flexotwin/#', 'flexotwin', true],
    ['flexotwin/#', 'flexotwin/C_FL104', true],
    ['flexotwin/#', 'flexotwin/C_FL104/telemetry', true],
    ['flexotwin/#', 'other/C_FL104', false],
    ['#', 'anything/at/all', true],
    ['+', 'one', true],
    ['+', 'one/two', false],
    ['+/#', 'one/two/three', true],
    ['a/b', 'a/b', true],
    ['a/b', 'a/b/', false],
    ['a/b/', 'a/b/', true],
  ])('%s ~ %s → %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});

describe('applyRule', () => {
  const RECEIVED = 1_761_215_400_123;

  it('projects a message as IoT Core would', () => {
    const payload = new TextEncoder().encode('{"machine_id":"C_FL104"}');
    expect(applyRule(rule('telemetry'), 'flexotwin/C_FL104/telemetry', payload, RECEIVED)).toEqual({
      payload: Buffer.from(payload).toString('base64'),
      topic: 'flexotwin/C_FL104/telemetry',
      topic_machine_id: 'C_FL104',
      received_at: RECEIVED,
      kind: 'telemetry',
    });
  });

  const roundTrip = (bytes: Uint8Array) => {
    const out = applyRule(rule('production'), 'flexotwin/M/production', bytes, RECEIVED);
    expect(out.payload).toBe(Buffer.from(bytes).toString('base64'));
    expect(Buffer.compare(Buffer.from(out.payload as string, 'base64'), bytes)).toBe(0);
  };

  it('round-trips any bytes through base64, invalid UTF-8 included', () => {
    roundTrip(new Uint8Array([0xff, 0xfe, 0x00, 0xc3, 0x28, 0xed, 0xa0, 0x80]));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), roundTrip), { numRuns: 1000 });
  });

  it.each([0, 1, 0x8000 - 1, 0x8000, 0x8000 + 1, 3 * 0x8000 + 2, 128 * 1024])(
    'round-trips %i bytes (encoded in 32 KB chunks)',
    (length) => {
      roundTrip(new Uint8Array(length).map((_, i) => (i * 31 + (i >> 8)) & 0xff));
    },
  );

  it('omits topic(2) when the topic has no second level', () => {
    const out = applyRule(rule('telemetry'), 'flexotwin', new Uint8Array(), RECEIVED);
    expect(out).not.toHaveProperty('topic_machine_id');
    expect(out.topic).toBe('flexotwin');
    expect(out.payload).toBe('');
  });

  it('evaluates topic(n) 1-based', () => {
    const custom: IngestRule = {
      name: 'levels',
      kind: 'telemetry',
      topicFilter: '#',
      projection: [
        { as: 'first', fn: 'topic', level: 1 },
        { as: 'third', fn: 'topic', level: 3 },
        { as: 'fourth', fn: 'topic', level: 4 },
      ],
    };
    expect(applyRule(custom, 'a/b/c', new Uint8Array(), 0)).toEqual({ first: 'a', third: 'c' });
  });
});

describe('basicIngestTopic', () => {
  it('addresses the rule directly under $aws/rules', () => {
    expect(basicIngestTopic(rule('telemetry'), topics.telemetry('C_FL104'))).toBe(
      '$aws/rules/flexotwin_telemetry/flexotwin/C_FL104/telemetry',
    );
  });
});

describe('parseBasicIngestTopic and deviceTopicOf', () => {
  it('undo basicIngestTopic, and leave every other topic alone', () => {
    fc.assert(
      fc.property(fc.constantFrom(...INGEST_RULES), fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/), (r, id) => {
        const device = r.kind === 'telemetry' ? topics.telemetry(id) : topics.production(id);
        const published = basicIngestTopic(r, device);
        expect(parseBasicIngestTopic(published)).toEqual({ rule: r.name, topic: device });
        expect(deviceTopicOf(published)).toBe(device);
        expect(deviceTopicOf(device)).toBe(device);
      }),
    );
    for (const topic of [
      '$aws/rules/',
      '$aws/rules/rule_only',
      '$aws/rules//flexotwin/x/telemetry',
      '$aws/things/x',
    ])
      expect(parseBasicIngestTopic(topic), topic).toBeUndefined();
  });
});

describe('publishTopic', () => {
  it("maps data topics to their rule's Basic Ingest topic only when asked", () => {
    expect(publishTopic('flexotwin/C_FL104/telemetry', false)).toBe('flexotwin/C_FL104/telemetry');
    expect(publishTopic('flexotwin/C_FL104/telemetry', true)).toBe(
      '$aws/rules/flexotwin_telemetry/flexotwin/C_FL104/telemetry',
    );
    expect(publishTopic('flexotwin/C_FL104/production', true)).toBe(
      '$aws/rules/flexotwin_production/flexotwin/C_FL104/production',
    );
    expect(publishTopic('flexotwin/C_FL104/anomalies', true)).toBe('flexotwin/C_FL104/anomalies');
  });
});
