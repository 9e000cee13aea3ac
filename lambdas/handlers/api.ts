/**
 * The HTTP API (API Gateway HTTP API, payload 2.0; the local runtime serves the same handler): the
 * original FlexoTwin routes with their response shapes, plus fleet, telemetry, OEE, alarms and the
 * OpenAPI document. Routes and schemas: api/routes.ts and api/schemas.ts; what each does:
 * api/operations.ts; routing and errors: api/router.ts.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { awsClientOptions, createAwsClients } from '../adapters/aws-clients.js';
import { createStores } from '../adapters/index.js';
import { dynamoDbProbe, iotDataProbe, type ProbeResult } from '../adapters/probes.js';
import { loadPredictor } from '../core/forest/index.js';
import { INGEST_RULES } from '../core/ingest-rules.js';
import type {
  AnomalyStore,
  ComponentStore,
  MachineStateStore,
  ModelStore,
  TimeSeriesStore,
} from '../core/ports.js';
import { ComponentCatalog } from '../shared/component-catalog.js';
import { loadFunctionConfig, machineProfile, requireSetting } from '../shared/config.js';
import { type Lazy, lazy } from '../shared/once.js';
import { logger } from '../shared/powertools.js';
import { type ApiServices, createOperations } from './api/operations.js';
import { type LoadPredictor, PredictorCache } from './api/predictions.js';
import { type ApiHandler, createApiHandler } from './api/router.js';

export interface ApiDeps {
  readonly components: ComponentStore;
  readonly anomalies: AnomalyStore;
  readonly machineStates: MachineStateStore;
  readonly timeSeries: TimeSeriesStore;
  readonly models: ModelStore;
  /** Builds the predictor from a stored model body (core/forest's loadPredictor in AWS). */
  readonly loadPredictor: LoadPredictor;
  /** Where models are looked for, for the "Model not available" message (e.g. s3://bucket/models/). */
  readonly modelLocation: string;
  readonly probes: ApiServices['probes'];
  readonly machineProfile: ApiServices['machineProfile'];
  readonly defaultMachineId: string;
  readonly logger: Logger;
  /** Wall clock, epoch ms (tests pass a fixed one). */
  readonly clock?: () => number;
}

/** The ingest topic filters, as GET /api/health shows them. */
export const INGEST_TOPICS = INGEST_RULES.map((r) => r.topicFilter).join(', ');

export function makeHandler(deps: Lazy<ApiDeps>): ApiHandler {
  const resolve = lazy(deps);
  let handler: ApiHandler | undefined;
  return async (event, context) => {
    handler ??= build(resolve());
    return handler(event, context);
  };
}

function build(d: ApiDeps): ApiHandler {
  const clock = d.clock ?? Date.now;
  const services: ApiServices = {
    components: d.components,
    // The API always reads the table fresh (an edit shows at once); it still seeds an empty one.
    catalog: new ComponentCatalog(d.components, clock, 0),
    anomalies: d.anomalies,
    machineStates: d.machineStates,
    timeSeries: d.timeSeries,
    predictors: new PredictorCache(d.models, d.loadPredictor, clock, d.modelLocation),
    probes: d.probes,
    machineProfile: d.machineProfile,
    defaultMachineId: d.defaultMachineId,
    logger: d.logger,
  };
  return createApiHandler(createOperations(services), { logger: d.logger, clock });
}

function realDeps(): ApiDeps {
  const config = loadFunctionConfig('api');
  const clients = createAwsClients(awsClientOptions(config));
  const stores = createStores(config, clients);
  const endpoint = config.IOT_DATA_ENDPOINT;
  const host = endpoint === undefined ? undefined : new URL(endpoint).host;
  const notConfigured = async (): Promise<ProbeResult> => ({
    ok: false,
    message: 'IOT_DATA_ENDPOINT is not configured',
  });
  return {
    ...stores,
    loadPredictor,
    modelLocation: `s3://${config.MODEL_BUCKET ?? config.RAW_BUCKET}/${config.MODEL_PREFIX}`,
    probes: {
      storage: dynamoDbProbe(clients.dynamodb, requireSetting(config, 'COMPONENTS_TABLE')),
      broker: endpoint === undefined ? notConfigured : iotDataProbe(clients.iotData, host as string),
      brokerInfo: { broker: host === undefined ? 'AWS IoT Core' : `${host}:8883`, topic: INGEST_TOPICS },
    },
    machineProfile: (machineId) => machineProfile(config, machineId),
    defaultMachineId: config.DEFAULT_MACHINE_ID,
    logger,
  };
}

export const handler = makeHandler(realDeps);
