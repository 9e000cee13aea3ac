import { describe } from 'vitest';
import {
  MemoryAnomalyStore,
  MemoryComponentStore,
  MemoryMachineStateStore,
  MemoryModelStore,
  MemoryTimeSeriesStore,
} from '../../lambdas/adapters/memory/index.js';
import {
  anomalyStoreContract,
  componentStoreContract,
  machineStateStoreContract,
  modelStoreContract,
  timeSeriesStoreContract,
} from './contracts.js';

describe('in-memory adapters', () => {
  componentStoreContract(async () => new MemoryComponentStore());
  anomalyStoreContract(async () => new MemoryAnomalyStore());
  machineStateStoreContract(async () => new MemoryMachineStateStore());
  timeSeriesStoreContract(async () => new MemoryTimeSeriesStore());
  modelStoreContract(async () => new MemoryModelStore());
});
