/** The dashboard's routes, its API client (URLs and error mapping) and the prediction form's input. */
import { describe, expect, it } from 'vitest';
import { ApiError, apiUrl, createApi } from '../../dashboard/src/api.js';
import { parseRoute, routeHash } from '../../dashboard/src/router.js';
import { fieldsNamed, predictInput } from '../../dashboard/src/views/predict.js';

describe('dashboard routes', () => {
  it.each([
    ['', { view: 'fleet' }],
    ['#/', { view: 'fleet' }],
    ['#/nowhere', { view: 'fleet' }],
    ['#/machine/C_FL104', { view: 'machine', id: 'C_FL104' }],
    ['#/machine/C_FL104?range=6h', { view: 'machine', id: 'C_FL104', range: '6h' }],
    ['#/machine/', { view: 'fleet' }],
    ['#/alarms', { view: 'alarms', state: 'active' }],
    ['#/alarms?state=cleared&machine=M2', { view: 'alarms', state: 'cleared', machine: 'M2' }],
    ['#/alarms?state=bogus', { view: 'alarms', state: 'active' }],
    ['#/predict', { view: 'predict' }],
  ])('%s', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
  });

  it('writes routes that read back the same', () => {
    for (const route of [
      { view: 'fleet' },
      { view: 'machine', id: 'C_FL104' },
      { view: 'machine', id: 'Line 2/A', range: '1h' },
      { view: 'alarms', state: 'all', machine: 'C_FL105' },
      { view: 'alarms', state: 'active_unacknowledged' },
      { view: 'predict' },
    ] as const) {
      expect(parseRoute(routeHash(route))).toEqual(route);
    }
  });
});

describe('dashboard API client', () => {
  it('builds URLs on the configured base, leaving out absent parameters', () => {
    expect(apiUrl('', '/api/machines')).toBe('/api/machines');
    expect(
      apiUrl('https://api.example.com/', '/api/anomalies', {
        state: 'active',
        machine_id: undefined,
        limit: 50,
      }),
    ).toBe('https://api.example.com/api/anomalies?state=active&limit=50');
  });

  function answering(status: number, body: unknown, seen: string[] = []): typeof fetch {
    return async (input, init) => {
      seen.push(`${init?.method} ${String(input)} ${init?.body ?? ''}`);
      return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });
    };
  }

  it('encodes path parameters and sends JSON bodies', async () => {
    const seen: string[] = [];
    const api = createApi('http://127.0.0.1:5000', answering(200, { success: true }, seen));
    await api.acknowledge('C_FL104.coil_temp_high.1', 'shift lead');
    await api.componentHealth('Folder/Gluer', 'C_FL104');
    await api.telemetry('C_FL104', { from: 1000, sensors: ['current', 'voltage'], limit: 10 });
    expect(seen).toEqual([
      'POST http://127.0.0.1:5000/api/anomalies/C_FL104.coil_temp_high.1/ack {"by":"shift lead"}',
      'GET http://127.0.0.1:5000/api/health/Folder%2FGluer?machine_id=C_FL104 ',
      'GET http://127.0.0.1:5000/api/machines/C_FL104/telemetry?from=1000&sensors=current%2Cvoltage&limit=10 ',
    ]);
  });

  it("turns the API's error answers into errors with its title and message", async () => {
    const body = {
      success: false,
      error: 'Model not available',
      message: 'No trained model found',
      request_id: 'r',
    };
    const failed = await createApi('', answering(503, body))
      .predict({ total_produksi: 1, produk_cacat: 0 })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ApiError);
    expect(failed).toMatchObject({
      status: 503,
      title: 'Model not available',
      message: 'No trained model found',
      body,
    });

    const proxy = await createApi('', answering(502, '<html>Bad Gateway</html>'))
      .machines()
      .catch((e: unknown) => e);
    expect(proxy).toMatchObject({ status: 502, title: 'HTTP 502' });
  });

  it('reports an API it cannot reach as status 0', async () => {
    const api = createApi('', async () => {
      throw new TypeError('fetch failed');
    });
    expect(await api.machines().catch((e: unknown) => e)).toMatchObject({ status: 0, title: 'Unreachable' });
  });
});

describe('prediction form', () => {
  it('sends numbers as numbers and anything else as typed, for the API to judge', () => {
    expect(predictInput({ total_produksi: ' 4500 ', produk_cacat: '180' })).toEqual({
      total_produksi: 4500,
      produk_cacat: 180,
    });
    expect(predictInput({ total_produksi: 'lots', produk_cacat: '' })).toEqual({ total_produksi: 'lots' });
  });

  it('finds the fields an "Invalid input" message is about', () => {
    expect(fieldsNamed('produk_cacat: produk_cacat cannot exceed total_produksi')).toEqual(['produk_cacat']);
    expect(fieldsNamed('total_produksi: must be a number; produk_cacat: must be a number')).toEqual([
      'total_produksi',
      'produk_cacat',
    ]);
    expect(fieldsNamed('The body is not valid JSON')).toEqual([]);
  });
});
