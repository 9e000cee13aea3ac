/**
 * The monthly AWS cost per device and per million messages of our design and of a naive one (one
 * Lambda invocation, one time-series write and one S3 PUT per message), from what the processor and
 * packaging sections measured in this run (run here if they were not selected), the price table in
 * bench/prices.ts and the assumptions in bench/assumptions.ts (bench/cost-model.ts does the arithmetic).
 * Our targets (the issue sets none): our design costs no more than the naive one, per message and per
 * device-month (which adds what does not grow with the message rate: connectivity, per-machine metrics).
 */

import { telemetryRecord } from '../../lambdas/adapters/timestream/time-series.js';
import type { TelemetryMessage } from '../../lambdas/core/messages.js';
import { ASSUMED_LATENCY_MS, DAYS_PER_MONTH } from '../assumptions.js';
import { itemBytes, timestreamBytes } from '../aws-fake.js';
import {
  costTable,
  type DesignCost,
  type DesignMeasurements,
  type ModelInputs,
  naiveDesignCost,
  ourDesignCost,
} from '../cost-model.js';
import { PRICE_TABLE_META } from '../prices.js';
import type { Figure, Section, SectionOptions, SectionResult } from '../report.js';
import { type PackagingData, packagingSection } from './packaging.js';
import {
  CLOUD,
  DYNAMODB_ITEM_OVERHEAD_BYTES,
  FLEET_MACHINES,
  type FleetUsage,
  type ProcessorData,
  processorSection,
} from './processor.js';

/** A device ticks every 5 s and sends a telemetry and a production message per tick. */
const MESSAGES_PER_DEVICE_MONTH = 2 * (86_400 / 5) * DAYS_PER_MONTH;
const usd = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

async function dependency(
  options: SectionOptions,
  section: Section,
): Promise<SectionResult & { data: unknown }> {
  const earlier = options.earlier.get(section.name);
  if (earlier?.data !== undefined) return earlier as SectionResult & { data: unknown };
  options.log(`running the ${section.name} section first (its measurements feed the model)…`);
  const result = await section.run({ ...options, log: (line) => options.log(`  ${line}`) });
  return result as SectionResult & { data: unknown };
}

function measurements(u: FleetUsage, avgBatch: number): DesignMeasurements {
  return {
    backend: u.wiring === 'aws-dynamodb' ? 'dynamodb' : 'timestream',
    per1000: u.per1000,
    invocationsPer1000: 1000 / avgBatch,
    invocationWallMs: u.invocationWallMs,
    invocationCpuMs: u.invocationCpuMs,
    logBytesPerInvocation: u.stdoutBytesPerInvocation,
    customMetricsPerMachine: u.customMetricsPerMachine,
    customMetricsFleet: u.customMetricsFleet,
    s3BytesPerMessage: u.s3BytesPerMessage,
    timeSeriesBytesPerMessage: u.timeSeriesBytesPerMessage,
  };
}

/** What one reading costs the naive design to store: its own DynamoDB item or Timestream record. */
function naiveRecordBytes(sample: { topic: string; payload: string }) {
  const m = JSON.parse(sample.payload) as {
    machine_id: string;
    ts: string;
    seq: number;
    sensors: Record<string, number>;
  };
  const message: TelemetryMessage = { ...m, ts: Date.parse(m.ts) };
  const item = {
    series: `${m.machine_id}#telemetry`,
    ts_seq: `${message.ts}_${m.seq}`,
    sensors: m.sensors,
    expires_at: Math.floor(message.ts / 1000),
  };
  const record = telemetryRecord(message);
  return {
    dynamodbItemBytes: itemBytes(item) + DYNAMODB_ITEM_OVERHEAD_BYTES,
    timestreamRecordBytes: timestreamBytes({
      Records: [
        { ...record, Dimensions: [{ Name: 'machine_id', Value: m.machine_id }], MeasureName: 'telemetry' },
      ],
    }),
  };
}

export const costSection: Section = {
  name: 'cost',
  title: 'Cost model: monthly AWS cost per device and per million messages, ours vs naive',
  async run(options) {
    const { log } = options;
    const processor = (await dependency(options, processorSection)).data as ProcessorData;
    const packaging = (await dependency(options, packagingSection)).data as PackagingData;
    const initMs = packaging.functions.processor?.initMs ?? 0;
    const inputs: ModelInputs = {
      memoryMb: CLOUD.processorMemoryMb,
      basicIngest: CLOUD.basicIngest,
      fleetMachines: FLEET_MACHINES,
      messagesPerDeviceMonth: MESSAGES_PER_DEVICE_MONTH,
      initMs,
      timeSeriesRetentionMonths: CLOUD.telemetryRetentionDays / DAYS_PER_MONTH,
      timestreamMemoryHours: CLOUD.memoryRetentionHours,
      timestreamMagneticMonths: CLOUD.magneticRetentionDays / DAYS_PER_MONTH,
      rawRetentionMonths: CLOUD.rawExpireDays / DAYS_PER_MONTH,
      logRetentionMonths: CLOUD.logRetentionDays / DAYS_PER_MONTH,
    };
    const naive = {
      cpuUsPerMessage: processor.handlerUsAtBatch1,
      payloadBytes: processor.avgPayloadBytes,
      ...naiveRecordBytes(processor.sample),
      s3PutMs: ASSUMED_LATENCY_MS.s3Put,
    };
    const designs: DesignCost[] = [
      naiveDesignCost('dynamodb', { ...naive, timeSeriesWriteMs: ASSUMED_LATENCY_MS.dynamodb }, inputs),
      ourDesignCost(measurements(processor.dynamodb, processor.avgBatch), inputs),
      naiveDesignCost(
        'timestream',
        { ...naive, timeSeriesWriteMs: ASSUMED_LATENCY_MS.timestreamWrite },
        inputs,
      ),
      ourDesignCost(measurements(processor.timestream, processor.avgBatch), inputs),
    ];

    log(
      `USD per million messages (${PRICE_TABLE_META.region} list prices recorded ${PRICE_TABLE_META.recorded}, ${PRICE_TABLE_META.basis}):`,
    );
    log(`  ${'item'.padEnd(54)}${designs.map((d) => d.design.padStart(20)).join('')}`);
    for (const row of costTable(designs)) {
      log(
        `  ${row.item.padEnd(54)}${row.values.map((v) => (v === null ? '—' : usd(v)).padStart(20)).join('')}`,
      );
    }
    log(
      `  ${'total per million messages'.padEnd(54)}${designs.map((d) => usd(d.perMillion).padStart(20)).join('')}`,
    );
    log(
      `  ${'fixed per device-month'.padEnd(54)}${designs.map((d) => usd(d.perDeviceFixed).padStart(20)).join('')}`,
    );
    log(
      `  ${`per device-month (${(MESSAGES_PER_DEVICE_MONTH / 1e6).toFixed(2)} M messages)`.padEnd(54)}${designs.map((d) => usd(d.perDeviceMonth).padStart(20)).join('')}`,
    );

    const [naiveDdb, oursDdb, naiveTs, oursTs] = designs as [DesignCost, DesignCost, DesignCost, DesignCost];
    const figures: Figure[] = [];
    for (const d of designs) {
      figures.push(
        { name: `${d.design}: per million messages`, value: Number(d.perMillion.toFixed(2)), unit: 'USD' },
        { name: `${d.design}: per device-month`, value: Number(d.perDeviceMonth.toFixed(2)), unit: 'USD' },
      );
    }
    for (const [ours, base] of [
      [oursDdb, naiveDdb],
      [oursTs, naiveTs],
    ] as const) {
      const perMessage = ours.perMillion / base.perMillion;
      const perDevice = ours.perDeviceMonth / base.perDeviceMonth;
      figures.push(
        {
          name: `${ours.design} / ${base.design}, per message`,
          value: Number(perMessage.toFixed(2)),
          unit: '×',
          target: '≤ 1 ×',
          pass: perMessage <= 1,
        },
        {
          name: `${ours.design} / ${base.design}, per device-month`,
          value: Number(perDevice.toFixed(2)),
          unit: '×',
          target: '≤ 1 ×',
          pass: perDevice <= 1,
        },
      );
    }
    return {
      section: 'cost',
      title: costSection.title,
      setup: {
        fleet: `${FLEET_MACHINES} machines`,
        messages_per_device_month: MESSAGES_PER_DEVICE_MONTH,
        batch: `${processor.avgBatch.toFixed(0)} msgs / ${CLOUD.batchWindowSeconds} s`,
        memory_mb: CLOUD.processorMemoryMb,
        basic_ingest: String(CLOUD.basicIngest),
        prices: `${PRICE_TABLE_META.region}, recorded ${PRICE_TABLE_META.recorded} (re-check)`,
      },
      figures,
      data: { inputs, designs, table: costTable(designs) },
    };
  },
};
