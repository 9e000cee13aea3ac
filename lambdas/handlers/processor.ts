/**
 * The processor: SQS batches of device messages (queued by the IoT rules of core/ingest-rules.ts) →
 * validation, detection, OEE and health (core) → stores and IoT events (ports) → partial batch response.
 *
 * The batch's outcome is computed first (processor/batch.ts decides per record, since records of one
 * machine stand or fall together); Powertools' BatchProcessor then reports exactly the failed records in
 * `batchItemFailures`, so one bad record never sends the whole batch back. Invalid messages are not
 * failures: they are quarantined with their reasons and counted.
 */

import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { awsClientOptions, createAwsClients } from '../adapters/aws-clients.js';
import { createIotPublisher, createStores } from '../adapters/index.js';
import type { ComponentStore } from '../core/ports.js';
import type { MachineProfile } from '../core/profiles.js';
import { ComponentCatalog } from '../shared/component-catalog.js';
import { loadFunctionConfig, machineProfile } from '../shared/config.js';
import { type Lazy, lazy } from '../shared/once.js';
import { logger, metrics } from '../shared/powertools.js';
import { detectorCache, type ProcessorStores, processBatch } from './processor/batch.js';

export interface ProcessorDeps extends ProcessorStores {
  readonly components: ComponentStore;
  /** A machine's profile (thresholds, ideal rate, debounce) and shift offset. */
  readonly machineProfile: (machineId: string) => {
    profile: MachineProfile;
    shiftOffsetHours: number | undefined;
  };
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Wall clock, epoch ms (tests pass a fixed one). */
  readonly clock?: () => number;
}

export function makeHandler(deps: Lazy<ProcessorDeps>) {
  const resolve = lazy(deps);
  // Per container: compiled detectors and the cached FMEA table live as long as the handler.
  let runtime: Parameters<typeof processBatch>[1] | undefined;
  const runtimeOf = (d: ProcessorDeps) => {
    if (runtime === undefined) {
      const clock = d.clock ?? Date.now;
      const catalog = new ComponentCatalog(d.components, clock);
      runtime = {
        timeSeries: d.timeSeries,
        rawArchive: d.rawArchive,
        anomalies: d.anomalies,
        machineStates: d.machineStates,
        publisher: d.publisher,
        components: () => catalog.current(),
        profileOf: d.machineProfile,
        detectorOf: detectorCache(d.machineProfile),
        clock,
        logger: d.logger,
        metrics: d.metrics,
      };
    }
    return runtime;
  };

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const d = resolve();
    d.logger.addContext(context);
    try {
      const outcome = await processBatch(event.Records, runtimeOf(d));
      d.logger.info('batch processed', { ...outcome.counts, failed: outcome.failed.size });
      const recordHandler = async (record: SQSRecord) => {
        const error = outcome.failed.get(record.messageId);
        if (error !== undefined) throw error;
      };
      return await processPartialResponse(event, recordHandler, new BatchProcessor(EventType.SQS), {
        context,
        // Every record failing is still a per-record answer: SQS retries each, the DLQ catches the rest.
        throwOnFullBatchFailure: false,
      });
    } finally {
      d.metrics.publishStoredMetrics();
    }
  };
}

function realDeps(): ProcessorDeps {
  const config = loadFunctionConfig('processor');
  const clients = createAwsClients(awsClientOptions(config));
  return {
    ...createStores(config, clients),
    publisher: createIotPublisher(clients),
    machineProfile: (machineId) => machineProfile(config, machineId),
    logger,
    metrics,
  };
}

export const handler = makeHandler(realDeps);
