/**
 * Health index per component (DESIGN.md §4):
 *   rpn_score = 100 × (1 − RPN/1000)      (RPN = the dynamic RPN)
 *   oee_score = A × P × Q × 100
 *   health_index = 0.4 × rpn_score + 0.6 × oee_score
 * Every published figure is rounded to one decimal *before* it is used in the next step, so the
 * numbers a user reads add up exactly: rpn_contribution + oee_contribution = health_index.
 */
import type { Alarm } from './anomaly/alarm.js';
import { type Component, dynamicRpn, type HealthStatusKey, RPN_MAX } from './fmea.js';
import type { Oee } from './oee.js';

export const HEALTH_WEIGHTS = { rpn: 0.4, oee: 0.6 } as const;
/** Below this, a maintenance-duration prediction is attached automatically (API). */
export const AUTO_PREDICTION_BELOW = 50;

export const HEALTH_STATUSES = [
  { key: 'good', status: 'Good', color: '#22C55E', min: 70, description: 'Component in good condition' },
  { key: 'warning', status: 'Warning', color: '#EAB308', min: 50, description: 'Component needs attention' },
  {
    key: 'critical',
    status: 'Critical',
    color: '#EF4444',
    min: Number.NEGATIVE_INFINITY,
    description: 'Component in critical condition: act immediately',
  },
] as const satisfies readonly {
  key: HealthStatusKey;
  status: string;
  color: string;
  min: number;
  description: string;
}[];

export type HealthStatus = (typeof HEALTH_STATUSES)[number]['status'];

/** Round half away from zero to one decimal; the epsilon absorbs binary noise such as 53.099999…. */
export function round1(x: number): number {
  return Math.sign(x) * (Math.round(Math.abs(x) * 10 + 1e-9) / 10);
}

export function healthStatus(index: number): (typeof HEALTH_STATUSES)[number] {
  for (const s of HEALTH_STATUSES) if (index >= s.min) return s;
  return HEALTH_STATUSES[2];
}

const pct = (x: number | null) => (x === null ? null : round1(x * 100));

export interface ComponentHealth {
  component_name: string;
  health_index: number;
  status: HealthStatus;
  color: string;
  description: string;
  recommendations: string[];
  metrics: {
    rpn_score: number;
    oee_score: number | null;
    availability_rate: number | null;
    performance_rate: number | null;
    quality_rate: number | null;
    /** The FMEA table's RPN (S × O × D). */
    rpn_value: number;
    /** The RPN the score uses: occurrence raised by recent alarms on linked sensors. */
    rpn_dynamic: number;
    rpn_max: number;
    severity: number;
    occurrence: number;
    occurrence_effective: number;
    detection: number;
    warnings_24h: number;
    criticals_24h: number;
  };
  calculation_details: {
    formula: string;
    rpn_score_formula: string;
    oee_score_formula: string;
    rpn_weight: number;
    oee_weight: number;
    rpn_contribution: number;
    oee_contribution: number;
  };
  auto_triggered: boolean;
}

export type AlarmForHealth = Pick<
  Alarm,
  'sensor' | 'severity' | 'category' | 'state' | 'last_seen' | 'cleared_at'
>;

export function componentHealth(
  component: Component,
  oee: Oee | null,
  alarms: readonly AlarmForHealth[],
  now: number,
): ComponentHealth {
  const d = dynamicRpn(component, alarms, now);
  const rpnScore = round1(100 * (1 - d.rpn_dynamic / RPN_MAX));
  const oeeScore = oee?.oee == null ? null : round1(oee.oee * 100);
  // Without any OEE in the window the index rests on the RPN alone, and says so.
  const rpnWeight = oeeScore === null ? 1 : HEALTH_WEIGHTS.rpn;
  const oeeWeight = oeeScore === null ? 0 : HEALTH_WEIGHTS.oee;
  const rpnContribution = round1(rpnWeight * rpnScore);
  const oeeContribution = oeeScore === null ? 0 : round1(oeeWeight * oeeScore);
  const index = round1(rpnContribution + oeeContribution);
  const status = healthStatus(index);
  const a = oee?.availability ?? null;
  const p = oee?.performance ?? null;
  const q = oee?.quality ?? null;
  return {
    component_name: component.component_name,
    health_index: index,
    status: status.status,
    color: status.color,
    description: status.description,
    recommendations: [...component.recommendations[status.key]],
    metrics: {
      rpn_score: rpnScore,
      oee_score: oeeScore,
      availability_rate: pct(a),
      performance_rate: pct(p),
      quality_rate: pct(q),
      rpn_value: d.rpn_base,
      rpn_dynamic: d.rpn_dynamic,
      rpn_max: RPN_MAX,
      severity: component.severity,
      occurrence: d.occurrence_base,
      occurrence_effective: d.occurrence_effective,
      detection: component.detection,
      warnings_24h: d.warnings_24h,
      criticals_24h: d.criticals_24h,
    },
    calculation_details: {
      formula:
        oeeScore === null
          ? 'RPN_Score × 1.0 (no OEE data in the window yet)'
          : `(RPN_Score × ${HEALTH_WEIGHTS.rpn}) + (OEE_Score × ${HEALTH_WEIGHTS.oee})`,
      rpn_score_formula: `100 × (1 − ${d.rpn_dynamic} / ${RPN_MAX}) = ${rpnScore}`,
      oee_score_formula:
        oeeScore === null || a === null || p === null || q === null
          ? `A × P × Q × 100 = ${oeeScore ?? 'n/a'}`
          : `${pct(a)}% × ${pct(p)}% × ${pct(q)}% = ${oeeScore}`,
      rpn_weight: rpnWeight,
      oee_weight: oeeWeight,
      rpn_contribution: rpnContribution,
      oee_contribution: oeeContribution,
    },
    auto_triggered: index < AUTO_PREDICTION_BELOW,
  };
}

export interface ComponentHealthSummary {
  component_name: string;
  health_index: number;
  status: HealthStatus;
  rpn_value: number;
  rpn_dynamic: number;
}

export interface MachineHealth {
  /** The weakest component's index: a machine is as healthy as its worst part. */
  health_index: number;
  status: HealthStatus;
  color: string;
  worst_component: string;
  oee_score: number | null;
  components: ComponentHealthSummary[];
}

export function machineHealth(
  components: readonly Component[],
  oee: Oee | null,
  alarms: readonly AlarmForHealth[],
  now: number,
): MachineHealth | null {
  let worst: ComponentHealth | undefined;
  const summaries: ComponentHealthSummary[] = [];
  for (const component of components) {
    const h = componentHealth(component, oee, alarms, now);
    summaries.push({
      component_name: h.component_name,
      health_index: h.health_index,
      status: h.status,
      rpn_value: h.metrics.rpn_value,
      rpn_dynamic: h.metrics.rpn_dynamic,
    });
    if (worst === undefined || h.health_index < worst.health_index) worst = h;
  }
  if (worst === undefined) return null;
  return {
    health_index: worst.health_index,
    status: worst.status,
    color: worst.color,
    worst_component: worst.component_name,
    oee_score: worst.metrics.oee_score,
    components: summaries,
  };
}
