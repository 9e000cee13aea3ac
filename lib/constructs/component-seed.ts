/**
 * Seeds the components table with the fifteen Flexo 104 FMEA rows at deploy time: a CDK trigger invokes
 * lambdas/handlers/seed-components.ts once the table exists, again whenever that function's code (and so
 * its FMEA table) changes, and before the functions that read the table are updated.
 *
 * Why a trigger running our own handler rather than an AwsCustomResource with PutItem calls: the seed
 * must be insert-if-absent row by row (an engineer's edited ratings survive every deploy), which is
 * exactly ComponentStore.seed, the code the local runtime and its tests use. The handler may only
 * PutItem into this one table.
 */
import { Duration } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Trigger } from 'aws-cdk-lib/triggers';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../lambdas/shared/config.js';
import type { FlexoTwinConfig } from '../config.js';
import { HandlerFunction } from './handler-function.js';
import type { Storage } from './storage.js';

export interface ComponentSeedProps {
  readonly config: FlexoTwinConfig;
  readonly storage: Storage;
}

export class ComponentSeed extends Construct {
  readonly seeder: HandlerFunction;
  readonly trigger: Trigger;

  constructor(scope: Construct, id: string, props: ComponentSeedProps) {
    super(scope, id);
    const { config, storage } = props;
    this.seeder = new HandlerFunction(this, 'Seeder', {
      handler: 'seed-components',
      description: 'FlexoTwin: seed the FMEA components table (insert if absent), run at deploy',
      memorySize: 256,
      timeout: Duration.minutes(1),
      // The whole storage contract: the handler validates it as the other functions do.
      environment: {
        ...storage.environment(),
        POWERTOOLS_SERVICE_NAME: 'flexotwin-seed-components',
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
      logRetention: config.logRetentionDays as RetentionDays,
    });
    // The seed is a conditional PutItem per row (attribute_not_exists): nothing else.
    storage.grantTable(this.seeder.function, 'components', ['PutItem']);

    this.trigger = new Trigger(this, 'Run', {
      handler: this.seeder.function,
      executeOnHandlerChange: true,
      executeAfter: [storage.table('components')],
      timeout: Duration.minutes(2),
    });
  }
}
