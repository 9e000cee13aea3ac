/**
 * The AWS wiring of the ports, from the environment contract: what both handlers' realDeps and the local
 * runtime (pointed at emulators) build their stores from.
 */

import type { TimeSeriesStore } from '../core/ports.js';
import type { Config } from '../shared/config.js';
import { requireSetting } from '../shared/config.js';
import type { AwsClients } from './aws-clients.js';
import { DynamoDbAnomalyStore } from './dynamodb/anomalies.js';
import { DynamoDbComponentStore } from './dynamodb/components.js';
import { DynamoDbMachineStateStore } from './dynamodb/machine-state.js';
import { DynamoDbTimeSeriesStore } from './dynamodb/time-series.js';
import { IotDataEventPublisher } from './iot-data/publisher.js';
import { S3ModelStore } from './s3/model-store.js';
import { S3RawArchive } from './s3/raw-archive.js';
import { TimestreamTimeSeriesStore } from './timestream/time-series.js';

export function createTimeSeriesStore(config: Config, clients: AwsClients): TimeSeriesStore {
  if (config.TIME_SERIES_BACKEND === 'timestream') {
    return new TimestreamTimeSeriesStore(clients.timestreamWrite, clients.timestreamQuery, {
      database: requireSetting(config, 'TIMESTREAM_DATABASE'),
      telemetryTable: config.TIMESTREAM_TELEMETRY_TABLE,
      productionTable: config.TIMESTREAM_PRODUCTION_TABLE,
    });
  }
  return new DynamoDbTimeSeriesStore(
    clients.dynamodb,
    requireSetting(config, 'TELEMETRY_TABLE'),
    config.TELEMETRY_RETENTION_DAYS,
  );
}

/** Every store the handlers use, on AWS (or on whatever the clients' endpoints point at). */
export function createStores(config: Config, clients: AwsClients) {
  const bucket = requireSetting(config, 'RAW_BUCKET');
  return {
    components: new DynamoDbComponentStore(clients.dynamodb, requireSetting(config, 'COMPONENTS_TABLE')),
    anomalies: new DynamoDbAnomalyStore(clients.dynamodb, requireSetting(config, 'ANOMALIES_TABLE')),
    machineStates: new DynamoDbMachineStateStore(
      clients.dynamodb,
      requireSetting(config, 'MACHINE_STATE_TABLE'),
    ),
    timeSeries: createTimeSeriesStore(config, clients),
    rawArchive: new S3RawArchive(clients.s3, bucket),
    models: new S3ModelStore(clients.s3, config.MODEL_BUCKET ?? bucket, config.MODEL_PREFIX),
  };
}

export type Stores = ReturnType<typeof createStores>;

export function createIotPublisher(clients: AwsClients): IotDataEventPublisher {
  return new IotDataEventPublisher(clients.iotData);
}
