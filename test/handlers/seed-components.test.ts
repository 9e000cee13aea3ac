/**
 * The deploy-time seed (run by the stack's trigger) against the real DynamoDB adapter over the wire
 * (dynalite): it fills an empty table, and a re-run neither duplicates nor overwrites an engineer's edit.
 */
import { describe, expect, it } from 'vitest';
import { FLEXO_104_COMPONENTS } from '../../lambdas/core/fmea.js';
import { makeHandler } from '../../lambdas/handlers/seed-components.js';
import { localAws } from '../support/local-aws.js';
import { silentLogger } from '../support/powertools.js';

describe('seed-components handler', () => {
  it('inserts the fifteen Flexo 104 rows into an empty table, in machine order', async () => {
    const aws = await localAws();
    const handler = makeHandler({ components: aws.stores.components, logger: silentLogger() });

    expect(await handler()).toEqual({ inserted: 15, kept: 0 });

    const stored = await aws.stores.components.list();
    expect(stored.map((c) => c.component_name)).toEqual(FLEXO_104_COMPONENTS.map((c) => c.component_name));
  });

  it('keeps edited ratings on a re-run and adds only rows that are missing', async () => {
    const aws = await localAws();
    const handler = makeHandler({ components: aws.stores.components, logger: silentLogger() });
    const [first, second] = FLEXO_104_COMPONENTS;
    if (first === undefined || second === undefined) throw new Error('fixture');
    await makeHandler({ components: aws.stores.components, logger: silentLogger(), rows: [first] })();
    await aws.stores.components.updateRatings(first.component_name, { severity: 2, occurrence: 2 });

    expect(await handler()).toEqual({ inserted: 14, kept: 1 });
    expect(await handler()).toEqual({ inserted: 0, kept: 15 });

    const edited = await aws.stores.components.get(first.component_name);
    expect(edited).toMatchObject({ severity: 2, occurrence: 2, detection: first.detection });
    expect(await aws.stores.components.get(second.component_name)).toEqual(second);
  });
});
