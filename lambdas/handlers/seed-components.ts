/**
 * Seeds the components table with the fifteen Flexo 104 FMEA rows. The stack runs it at deploy time (a
 * CDK trigger, re-run whenever this function's code changes), so the processor and the API find the
 * table filled and need no write access to it beyond the API's rating updates.
 *
 * Insert-if-absent (ComponentStore.seed): a re-run adds components a new release introduces and never
 * overwrites the severity/occurrence/detection an engineer has edited since.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { awsClientOptions, createAwsClients } from '../adapters/aws-clients.js';
import { DynamoDbComponentStore } from '../adapters/dynamodb/components.js';
import { type Component, FLEXO_104_COMPONENTS } from '../core/fmea.js';
import type { ComponentStore } from '../core/ports.js';
import { loadConfig, requireSetting } from '../shared/config.js';
import { type Lazy, lazy } from '../shared/once.js';
import { logger } from '../shared/powertools.js';

export interface SeedDeps {
  readonly components: ComponentStore;
  readonly logger: Logger;
  /** The rows to seed (the Flexo 104 table unless a test passes others). */
  readonly rows?: readonly Component[];
}

export interface SeedResult {
  /** Rows written by this run. */
  readonly inserted: number;
  /** Rows that already existed and were left as they are. */
  readonly kept: number;
}

export function makeHandler(deps: Lazy<SeedDeps>) {
  const resolve = lazy(deps);
  return async (): Promise<SeedResult> => {
    const d = resolve();
    const rows = d.rows ?? FLEXO_104_COMPONENTS;
    const inserted = await d.components.seed(rows);
    const result = { inserted, kept: rows.length - inserted };
    d.logger.info('components seeded', { ...result });
    return result;
  };
}

function realDeps(): SeedDeps {
  const config = loadConfig(process.env, ['AWS_REGION', 'COMPONENTS_TABLE']);
  const clients = createAwsClients(awsClientOptions(config));
  return {
    components: new DynamoDbComponentStore(clients.dynamodb, requireSetting(config, 'COMPONENTS_TABLE')),
    logger,
  };
}

export const handler = makeHandler(realDeps);
