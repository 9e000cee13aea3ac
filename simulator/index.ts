/**
 * The simulator's public API (what `flexotwin simulate` / `generate-history` / `import` use, and what
 * the local runtime starts without the CLI). See simulator/README.md.
 */

export { historyCsvFiles, LABELS_FILE, writeHistory } from './csv.js';
export type { OutgoingMessage, ProductionPayload, TelemetryPayload } from './device.js';
export {
  FAULT_TYPES,
  FAULTS,
  type FaultInjection,
  type FaultLabel,
  type FaultType,
  formatFaultInjection,
  parseFaultSpec,
} from './faults.js';
export {
  type FleetHandle,
  type FleetOptions,
  type FleetStats,
  type PublishFn,
  startFleet,
} from './fleet.js';
export { DEFAULT_HISTORY, type GenerateHistoryOptions, generateHistory } from './generator.js';
export {
  type History,
  type HistoryRow,
  historyMachines,
  machineIds,
  REPORT_COLUMNS,
  SENSOR_AGGREGATE_COLUMNS,
} from './history.js';
export {
  type ColumnMapping,
  type CsvImportOptions,
  importHistoryFolder,
  MAPPING_FILE,
  parseLabels,
} from './import-csv.js';
export { ImportError } from './import-error.js';
export {
  importSensorRecords,
  type JsonlImportOptions,
  parseSensorRecords,
  type SensorRecord,
  type SensorRecording,
} from './import-jsonl.js';
export { createJsonlSink, type JsonlSink } from './jsonl-sink.js';
export { describeHistory, type LoadedHistory, loadHistory } from './load-history.js';
export {
  createMqttPublisher,
  DEFAULT_BROKER,
  type DeviceConnectionEvent,
  type MqttPublisher,
  type MqttTarget,
} from './mqtt.js';
export { formatStats, type MachineStats, machineStats } from './stats.js';
export { formatDuration, parseDuration } from './time.js';
