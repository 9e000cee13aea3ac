/**
 * The API's response shapes as the page sees them: derived from the schemas the API validates and
 * publishes (type-only imports, so nothing of zod or the server reaches the bundle), so a change of the
 * contract is a compile error here rather than a blank panel.
 */
import type { z } from 'zod';
import type {
  ackResponseSchema,
  alarmPageSchema,
  alarmSchema,
  componentHealthSchema,
  componentListSchema,
  machineListSchema,
  machineRulesSchema,
  oeeSchema,
  oeeTrendSchema,
  predictionSchema,
  ruleSchema,
  telemetrySeriesSchema,
} from '../../lambdas/handlers/api/schemas.js';

export type MachineList = z.output<typeof machineListSchema>;
export type MachineSummary = MachineList['machines'][number];
export type ComponentList = z.output<typeof componentListSchema>;
export type ComponentHealth = z.output<typeof componentHealthSchema>;
export type TelemetrySeries = z.output<typeof telemetrySeriesSchema>;
export type Oee = z.output<typeof oeeSchema>;
export type OeeTrend = z.output<typeof oeeTrendSchema>;
export type Alarm = z.output<typeof alarmSchema>;
export type AlarmPage = z.output<typeof alarmPageSchema>;
export type AckResponse = z.output<typeof ackResponseSchema>;
export type Prediction = z.output<typeof predictionSchema>;
export type MachineRules = z.output<typeof machineRulesSchema>;
export type Rule = z.output<typeof ruleSchema>;

export type AlarmStateFilter = 'active' | 'active_unacknowledged' | 'active_acknowledged' | 'cleared' | 'all';
export type OeeWindow = Oee['window'];
