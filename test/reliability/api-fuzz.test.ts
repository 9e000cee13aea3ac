/**
 * Bad HTTP input: every route of the API's route table (lambdas/handlers/api/routes.ts), fuzzed with
 * fast-check through the local HTTP server and its API Gateway translation, the real API handler and
 * the emulated stores. Requests go out as raw bytes (test/support/raw-http.ts), so paths may carry what a
 * fuzzer wants: "/" and "%" inside component names (encoded, double-encoded, bare), unicode (encoded
 * and raw UTF-8), dot segments, empty and 10 k-character parameters; query strings with the route's
 * own parameters given wrong values, repeated, or unknown ones; bodies of arbitrary JSON, near-valid
 * objects, text that is not JSON, bytes that are not UTF-8, and 1 MB, under various content types; and
 * other methods than the route's.
 *
 * Every answer must be: a status the route documents, or 400/404/405/413 (never 500, never a 503 the
 * route does not document); JSON; for an error, the error shape with the request id of the
 * x-request-id header; for a success, the route's documented schema for that status; and nowhere a
 * stack trace, a file path, or an AWS SDK error name.
 */
import { rm } from 'node:fs/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalPath } from '../../lambdas/handlers/api/router.js';
import { pathParams, pathRegex, ROUTES, type RouteSpec } from '../../lambdas/handlers/api/routes.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { connect, http, publish, startTestRuntime, telemetry, tempDir, until } from '../e2e/support.js';
import { type RawRequest, rawRequest } from '../support/raw-http.js';
import { report } from './support.js';

const routes = ROUTES as readonly RouteSpec[];
/** Requests per route: 15 routes × 120 = 1,800 requests. */
const RUNS_PER_ROUTE = 120;
const MACHINE = 'C_FL104';

let dir: string;
let runtime: LocalRuntime;
let componentNames: string[] = [];
let alarmIds: string[] = [];
const figures = { requests: 0, byStatus: {} as Record<string, number>, megabyteBodies: 0, gateway: 0 };

beforeAll(async () => {
  dir = await tempDir('api-fuzz');
  runtime = await startTestRuntime(dir, { machines: [MACHINE] });
  // Something to find: the machine reports, and overheats long enough for an alarm.
  const device = await connect(runtime.urls.mqtt, 'api-fuzz-device');
  const T = Date.now() - 10 * 60_000;
  for (let i = 1; i <= 4; i++)
    await publish(
      device,
      `flexotwin/${MACHINE}/telemetry`,
      telemetry(MACHINE, i, T + i * 1000, { temperature_coil: 125 }),
    );
  await device.endAsync();
  await runtime.flush();
  componentNames = (await http(runtime, '/api/components')).body.components.map(
    (c: { component_name: string }) => c.component_name,
  );
  alarmIds = await until(async () => {
    const ids = (await http(runtime, '/api/anomalies')).body.anomalies.map(
      (a: { alarm_id: string }) => a.alarm_id,
    );
    return ids.length > 0 ? (ids as string[]) : undefined;
  });
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  await rm(dir, { recursive: true, force: true });
}, 60_000);

// ---------------------------------------------------------------------------------------------- paths

/** Raw parameter values: what a client might put in a path segment. */
const fuzzValueArb = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    'Folder/Gluer',
    'Ink 100%',
    '100%',
    '%',
    '%%',
    '%2F',
    '%E0%A4%A',
    '..',
    '../..',
    './',
    '',
    ' ',
    'C_FL104/../../etc/passwd',
    '%00',
    'a;b=c',
    '?x=1',
    '#frag',
    'Main Drive Motor/..',
    'Ünïcødé 马达 🛠️',
    '\u202e',
  ),
  fc.integer({ min: 1000, max: 10_000 }).map((n) => 'x'.repeat(n)),
);

/** How a value is put in the path: encoded like a browser, double-encoded, or as it is. */
type Encoding = 'component' | 'double' | 'raw' | 'utf8-raw';
/** Characters that would end the request line or the path (the target must stay one token). */
const breaksTarget = (c: string) => c.charCodeAt(0) <= 0x20 || c === '\x7f' || /[\s?#]/.test(c);
const encodeWhere = (value: string, encoded: (c: string) => boolean) =>
  [...value].map((c) => (encoded(c) ? encodeURIComponent(c) : c)).join('');
const encode = (value: string, how: Encoding): string => {
  switch (how) {
    case 'component':
      return encodeURIComponent(value);
    case 'double':
      return encodeURIComponent(encodeURIComponent(value));
    case 'raw':
      // As typed, "%" and non-ASCII included (a bare "%" is not an escape).
      return encodeWhere(value, (c) => breaksTarget(c) && (c.codePointAt(0) as number) < 0x80);
    case 'utf8-raw':
      // Non-ASCII left as UTF-8 bytes on the wire (curl sends them so), every ASCII special encoded.
      return encodeWhere(value, (c) => breaksTarget(c) || c === '%');
  }
};

function knownValues(name: string): string[] {
  switch (name) {
    case 'machine_id':
      return [MACHINE, 'NO_SUCH_MACHINE'];
    case 'alarm_id':
      return [...alarmIds, 'no-such-alarm'];
    default:
      return [...componentNames, 'No Such Component'];
  }
}

const pathArb = (route: RouteSpec) =>
  fc
    .tuple(
      ...pathParams(route.path).map((name) =>
        fc.tuple(
          fc.oneof(
            { weight: 2, arbitrary: fc.constant(undefined).map(() => knownValues(name)) },
            { weight: 3, arbitrary: fuzzValueArb.map((v) => [v]) },
          ),
          fc.nat(),
          fc.constantFrom<Encoding>('component', 'component', 'component', 'double', 'raw', 'utf8-raw'),
        ),
      ),
      fc.constantFrom('', '', '', '/', '//'),
    )
    .map(([...parts]) => {
      const trailing = parts.pop() as string;
      let path = route.path;
      for (const [i, name] of pathParams(route.path).entries()) {
        const [pool, pick, how] = parts[i] as [string[], number, Encoding];
        path = path.replace(`{${name}}`, encode(pool[pick % pool.length] ?? '', how));
      }
      return path + trailing;
    });

// ---------------------------------------------------------------------------------------------- query

const queryValueArb = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom(
    '0',
    '-1',
    '1e309',
    'NaN',
    'Infinity',
    '99999999999999999999',
    '2025-10-23T10:30:00Z',
    '2025-02-30T00:00:00Z',
    'now',
    '1s',
    '0s',
    '5m',
    '1000000d',
    'current,voltage',
    ',,,',
    'shift',
    '24h',
    '7d',
    'active',
    'cleared',
    MACHINE,
    '%',
    '%zz',
  ),
  fc.integer({ min: -(2 ** 53), max: 2 ** 53 }).map(String),
  fc.integer({ min: 3000, max: 5000 }).map((n) => 'q'.repeat(n)),
);

const queryArb = (route: RouteSpec) => {
  const own = Object.keys(route.query?.shape ?? {});
  const keyArb =
    own.length > 0 ? fc.oneof(fc.constantFrom(...own), fc.string({ maxLength: 8 })) : fc.string();
  return fc.oneof(
    fc.constant(''),
    fc
      .array(fc.tuple(keyArb, queryValueArb, fc.boolean()), { maxLength: 5 })
      .map((pairs) =>
        pairs.length === 0
          ? ''
          : `?${pairs.map(([k, v, encoded]) => `${encodeURIComponent(k)}=${encoded ? encodeURIComponent(v) : v.replace(/[\s#&]/g, encodeURIComponent)}`).join('&')}`,
      ),
    fc.constantFrom('?', '?&&==&', '?=', '?limit', '?limit=1&limit=2', '?from=1&from=2'),
  );
};

// ---------------------------------------------------------------------------------------------- bodies

interface Body {
  readonly bytes: Uint8Array;
  readonly contentType: string | undefined;
  readonly label: string;
}

const text = (s: string, contentType: string | undefined, label: string): Body => ({
  bytes: Buffer.from(s, 'utf8'),
  contentType,
  label,
});

const nearValidArb = fc.record(
  {
    severity: fc.oneof(
      fc.integer({ min: -5, max: 15 }),
      fc.double(),
      fc.string({ maxLength: 5 }),
      fc.constant(null),
    ),
    occurrence: fc.oneof(fc.integer({ min: 0, max: 11 }), fc.constant('7')),
    detection: fc.integer({ min: 1, max: 10 }),
    total_produksi: fc.oneof(
      fc.integer({ min: -10, max: 10_000_000 }),
      fc.double(),
      fc.string({ maxLength: 5 }),
    ),
    produk_cacat: fc.oneof(fc.integer({ min: -10, max: 10_000_000 }), fc.constant(1e308)),
    note: fc.string({ maxLength: 300 }),
    by: fc.string({ maxLength: 300 }),
  },
  { requiredKeys: [] },
);

const MEGABYTE = 1024 * 1024;
const bodyArb: fc.Arbitrary<Body | undefined> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  {
    weight: 4,
    arbitrary: nearValidArb.map((v) => text(JSON.stringify(v), 'application/json', 'near-valid')),
  },
  {
    weight: 3,
    arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => text(JSON.stringify(v), 'application/json', 'json')),
  },
  {
    weight: 2,
    arbitrary: fc.string({ maxLength: 200 }).map((s) => text(s, 'application/json', 'text as json')),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.uint8Array({ maxLength: 100 }),
        fc.constantFrom('application/json', 'application/octet-stream', undefined),
      )
      .map(([b, contentType]) => ({
        bytes: Uint8Array.from([0xff, 0xfe, ...b]),
        contentType,
        label: 'not UTF-8',
      })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        'application/json',
        'text/plain',
        'application/octet-stream',
        'multipart/form-data; boundary=x',
      )
      .map((contentType) => ({
        bytes: Buffer.from(JSON.stringify({ severity: 5, pad: 'x'.repeat(MEGABYTE) })),
        contentType,
        label: '1 MB',
      })),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1_000, max: 50_000 })
      .map((depth) => text('['.repeat(depth) + ']'.repeat(depth), 'application/json', 'deep JSON')),
  },
  {
    weight: 1,
    arbitrary: nearValidArb.map((v) => text(JSON.stringify(v), 'text/plain', 'json as text/plain')),
  },
);

// ---------------------------------------------------------------------------------------------- checks

const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'PROPFIND', 'BREW'];
/** What no answer may contain: stack frames, file paths, AWS SDK error names. */
const LEAK =
  /\bat (?:async )?[\w.<>]+ \(|\bat .+:\d+:\d+|\/work\/|\/home\/|node_modules|file:\/\/|\.[cm]?[jt]s:\d+|\b(?:ValidationException|ResourceNotFoundException|ConditionalCheckFailedException|ECONNREFUSED|NoSuchKey|TypeError|ReferenceError|SyntaxError)\b/;

/**
 * The route the router serves a request with: dot segments resolved as URLs resolve them ("%2E" too),
 * trailing slashes ignored, static paths first.
 */
function servedBy(method: string, target: string): RouteSpec | undefined {
  const raw = canonicalPath(target.split('?')[0] as string);
  const path = new URL(raw, 'http://localhost').pathname.replace(/\/+$/, '') || '/';
  const candidates = routes.filter((r) => r.method === method);
  return (
    candidates.find((r) => pathParams(r.path).length === 0 && r.path === path) ??
    candidates.find((r) => pathParams(r.path).length > 0 && pathRegex(r).test(path))
  );
}

async function check(route: RouteSpec, request: RawRequest, label: string) {
  const answer = await rawRequest(runtime.ports.api, request);
  figures.requests++;
  figures.byStatus[answer.status] = (figures.byStatus[answer.status] ?? 0) + 1;
  if (label === '1 MB') figures.megabyteBodies++;
  const { method, target } = request;
  const what = `${method} ${target.slice(0, 300)} ${JSON.stringify(request.headers)} [${label}] → ${answer.status} ${answer.body.toString('utf8').slice(0, 300)}`;

  const documented = Object.keys(route.responses).map(Number);
  expect([...documented, 400, 403, 404, 405, 413, 431], what).toContain(answer.status);
  expect(answer.body.toString('utf8'), what).not.toMatch(LEAK);
  if (method === 'HEAD') return;
  expect(answer.headers['content-type'], what).toMatch(/^application\/json/);
  const json = JSON.parse(answer.body.toString('utf8'));
  if (answer.headers['x-request-id'] === undefined) {
    // The gateway's own answer, as API Gateway's: a request it could not parse, a Host that is not this
    // machine (local/request-guard.ts), a body over its 10 MB limit, a request line and headers over
    // 16 KB. The API itself never answers 403 or 431.
    expect([400, 403, 413, 431], what).toContain(answer.status);
    expect(Object.keys(json), what).toEqual(['message']);
    figures.gateway++;
    return;
  }
  if (answer.status >= 400) {
    expect(json, what).toMatchObject({
      success: false,
      error: expect.any(String),
      message: expect.any(String),
      request_id: answer.headers['x-request-id'],
    });
  }
  // A route's documented answer has the documented shape (whichever route the router chose).
  const spec = servedBy(method, target)?.responses[answer.status];
  if (spec !== undefined) {
    const parsed = spec.schema.safeParse(json);
    expect(parsed.success, `${what}\n${parsed.error?.message.slice(0, 500)}`).toBe(true);
  }
}

const requestArb = (route: RouteSpec) =>
  fc.record({
    method: fc.oneof(
      { weight: 6, arbitrary: fc.constant(route.method) },
      { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
    ),
    path: pathArb(route),
    query: queryArb(route),
    // Host as the client sends it (API Gateway's is always its own domain; the local server takes any).
    host: fc.oneof(
      { weight: 12, arbitrary: fc.constant(undefined) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'localhost:5000',
          '[::1]',
          'evil.example',
          'a b',
          'évil.example',
          'x:99999',
          '',
          '%',
        ),
      },
    ),
    body:
      route.body === undefined
        ? fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: bodyArb })
        : bodyArb,
  });

describe('the API under generated requests', () => {
  it.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s answers only documented statuses, always JSON in the error shape, never a stack trace',
    async (_label, route) => {
      const outcome = await fc.check(
        fc.asyncProperty(requestArb(route), async (r) => {
          const body = r.method === 'HEAD' ? undefined : r.body;
          const headers: Record<string, string> = {
            ...(body?.contentType === undefined ? {} : { 'content-type': body.contentType }),
            ...(r.host === undefined ? {} : { host: r.host }),
          };
          await check(
            route,
            { method: r.method, target: `${r.path}${r.query}`, headers, ...(body && { body: body.bytes }) },
            body?.label ?? 'no body',
          );
        }),
        { numRuns: RUNS_PER_ROUTE },
      );
      if (outcome.failed) {
        const example = JSON.stringify(outcome.counterexample, (_k, v) =>
          v instanceof Uint8Array ? `<${v.length} bytes>` : v,
        );
        throw new Error(
          `seed ${outcome.seed}, path ${outcome.counterexamplePath}, shrunk ${outcome.numShrinks}×: ${example.slice(0, 1500)}\n${String(outcome.errorInstance).slice(0, 2000)}`,
        );
      }
    },
    60_000,
  );

  it('is still healthy afterwards', async () => {
    expect((await http(runtime, '/api/health')).status).toBe(200);
    expect(figures.requests).toBeGreaterThanOrEqual(routes.length * RUNS_PER_ROUTE);
    report('api fuzz', figures);
  });
});
