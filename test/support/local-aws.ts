/**
 * Real AWS SDK clients and adapters against the run's emulators, with a bucket and tables of their own
 * per call (names carry a random suffix).
 */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { type AwsClients, awsClientOptions, createAwsClients } from '../../lambdas/adapters/aws-clients.js';
import { createStores, type Stores } from '../../lambdas/adapters/index.js';
import { type Config, loadConfig } from '../../lambdas/shared/config.js';
import { EMULATOR_CREDENTIALS, provisionResources, resourcesOf } from '../../local/emulators.js';

export interface LocalAws {
  readonly config: Config;
  readonly clients: AwsClients;
  readonly stores: Stores;
  readonly env: Readonly<Record<string, string>>;
}

export async function localAws(extraEnv: Readonly<Record<string, string>> = {}): Promise<LocalAws> {
  const emulators = inject('emulators');
  const id = randomUUID().slice(0, 8);
  const env = {
    ...emulators.env,
    RAW_BUCKET: `flexotwin-raw-${id}`,
    COMPONENTS_TABLE: `components-${id}`,
    ANOMALIES_TABLE: `anomalies-${id}`,
    MACHINE_STATE_TABLE: `machine-state-${id}`,
    TELEMETRY_TABLE: `telemetry-${id}`,
    TIME_SERIES_BACKEND: 'dynamodb',
    ...extraEnv,
  };
  const config = loadConfig(env);
  await provisionResources({ ...emulators, credentials: EMULATOR_CREDENTIALS }, resourcesOf(config));
  const clients = createAwsClients(awsClientOptions(config, EMULATOR_CREDENTIALS));
  return { config, clients, stores: createStores(config, clients), env };
}
