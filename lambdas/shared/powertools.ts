/**
 * Powertools singletons, one per container. They take no options on purpose: Powertools reads
 * POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_LOG_LEVEL itself, and an explicit
 * option would override what the stack sets (see `powertoolsEnv` in config.ts). Handlers receive these
 * through their deps, so tests pass their own instances.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

export const logger = new Logger();
export const metrics = new Metrics();
