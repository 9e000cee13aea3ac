/**
 * In-memory implementations of every port: the reference the contract tests hold the DynamoDB/S3
 * adapters to, and what benchmarks use to measure the handlers without I/O.
 */
import { MemoryAnomalyStore } from './anomalies.js';
import { MemoryComponentStore } from './components.js';
import { MemoryMachineStateStore } from './machine-state.js';
import { MemoryModelStore } from './model-store.js';
import { RecordingEventPublisher } from './publisher.js';
import { MemoryRawArchive } from './raw-archive.js';
import { MemoryTimeSeriesStore } from './time-series.js';

export {
  MemoryAnomalyStore,
  MemoryComponentStore,
  MemoryMachineStateStore,
  MemoryModelStore,
  MemoryRawArchive,
  MemoryTimeSeriesStore,
  RecordingEventPublisher,
};

export function createMemoryAdapters() {
  return {
    components: new MemoryComponentStore(),
    anomalies: new MemoryAnomalyStore(),
    machineStates: new MemoryMachineStateStore(),
    timeSeries: new MemoryTimeSeriesStore(),
    rawArchive: new MemoryRawArchive(),
    models: new MemoryModelStore(),
    publisher: new RecordingEventPublisher(),
  };
}

export type MemoryAdapters = ReturnType<typeof createMemoryAdapters>;
