/**
 * FMEA per component (DESIGN.md §4): severity, occurrence and detection on the 1..10 scales of the
 * AIAG-VDA process FMEA, RPN = S × O × D (max 1000). The dynamic RPN raises the effective occurrence
 * with the alarms seen on the component's linked sensors in the last 24 h.
 */
import * as z from 'zod';
import type { Alarm } from './anomaly/alarm.js';
import { SENSOR_NAMES, type SensorName } from './sensors.js';

export const RPN_MAX = 1000;
export const DYNAMIC_RPN_WINDOW_MS = 24 * 60 * 60 * 1000;

export const ratingSchema = z
  .number()
  .int('must be an integer')
  .min(1, 'must be 1..10')
  .max(10, 'must be 1..10');

export const recommendationsSchema = z.object({
  good: z.array(z.string()),
  warning: z.array(z.string()),
  critical: z.array(z.string()),
});

export const componentSchema = z.object({
  component_name: z.string().min(1).max(100),
  description: z.string(),
  failure_mode: z.string(),
  effect: z.string(),
  cause: z.string(),
  severity: ratingSchema,
  occurrence: ratingSchema,
  detection: ratingSchema,
  /** Sensors whose alarms are evidence that this failure mode is developing. */
  linked_sensors: z.array(z.enum(SENSOR_NAMES)),
  recommendations: recommendationsSchema,
});

export type Component = z.infer<typeof componentSchema>;
export type HealthStatusKey = keyof Component['recommendations'];

export function rpn(c: Pick<Component, 'severity' | 'occurrence' | 'detection'>): number {
  return c.severity * c.occurrence * c.detection;
}

export interface DynamicRpn {
  readonly rpn_base: number;
  readonly rpn_dynamic: number;
  readonly occurrence_base: number;
  readonly occurrence_effective: number;
  /** Alarms on linked sensors in the window, by severity. */
  readonly warnings_24h: number;
  readonly criticals_24h: number;
}

/**
 * The dynamic RPN: occurrence + 1 per warning and + 2 per critical alarm on a linked sensor that was
 * active at any time in the last 24 h, capped at 10. Data-quality alarms (category 'sensor') are not
 * evidence of wear and do not count.
 */
export function dynamicRpn(
  component: Component,
  alarms: readonly Pick<Alarm, 'sensor' | 'severity' | 'category' | 'state' | 'last_seen' | 'cleared_at'>[],
  now: number,
): DynamicRpn {
  const linked = new Set<string>(component.linked_sensors);
  const since = now - DYNAMIC_RPN_WINDOW_MS;
  let warnings = 0;
  let criticals = 0;
  for (const alarm of alarms) {
    if (alarm.category === 'sensor' || !linked.has(alarm.sensor)) continue;
    const activeUntil = alarm.state === 'cleared' ? Date.parse(alarm.cleared_at ?? alarm.last_seen) : now;
    if (activeUntil < since) continue;
    if (alarm.severity === 'critical') criticals++;
    else warnings++;
  }
  const occurrence = Math.min(10, component.occurrence + warnings + 2 * criticals);
  return {
    rpn_base: rpn(component),
    rpn_dynamic: component.severity * occurrence * component.detection,
    occurrence_base: component.occurrence,
    occurrence_effective: occurrence,
    warnings_24h: warnings,
    criticals_24h: criticals,
  };
}

const sensors = (...names: SensorName[]) => names;

/**
 * The fifteen components of the Flexo 104 folder-gluer, in the order board travels through it, with
 * the main drive and the dryer last. Ratings follow the AIAG-VDA tables: S by the effect on the
 * customer and the line, O by the failure history of a two-shift corrugated plant, D by whether the
 * failure shows on our sensors or only at inspection. Pre-Feeder (180) and Anilox Roller (240) keep
 * the RPNs of the original system.
 */
export const FLEXO_104_COMPONENTS: readonly Component[] = [
  {
    component_name: 'Pre-Feeder',
    description: 'Stack conveyor that squares board bundles and delivers them to the feeder',
    failure_mode: 'Stack skew or conveyor chain slip',
    effect: 'Feed interruptions; skewed sheets jam the feeder',
    cause: 'Chain and sprocket wear, worn side-guide pads, warped board from humid storage',
    severity: 6,
    occurrence: 5,
    detection: 6,
    linked_sensors: sensors('humidity_env'),
    recommendations: {
      good: [
        '[MONITOR] Check chain tension and side-guide pads weekly',
        '[SCHEDULE] Lubricate conveyor chains every 2 weeks',
        '[STATUS] Component in optimal condition',
      ],
      warning: [
        '[INSPECT] Measure chain elongation; replace beyond 2 % stretch',
        '[ACTION] Check board moisture (warp) if store humidity is high',
        '[SCHEDULE] Plan chain and pad replacement at the next planned stop',
      ],
      critical: [
        '[STOP] Stop feeding and clear the skewed stack before restarting',
        '[ACTION] Replace worn chain, sprockets and guide pads',
        '[VERIFY] Run 50 sheets at reduced speed and check squareness',
      ],
    },
  },
  {
    component_name: 'Feeder',
    description: 'Lead-edge feeder that kicks single sheets into the first print unit',
    failure_mode: 'Misfeeds and double feeds',
    effect: 'Register errors, jams and stoppages; double sheets can damage print units',
    cause: 'Worn feed wheels, low kicker air pressure, dust on the vacuum grid, warped board',
    severity: 7,
    occurrence: 6,
    detection: 5,
    linked_sensors: sensors('pressure', 'humidity_env'),
    recommendations: {
      good: [
        '[MONITOR] Watch misfeed counts per shift',
        '[SCHEDULE] Clean the vacuum grid and feed wheels daily',
        '[STATUS] Component in optimal condition',
      ],
      warning: [
        '[INSPECT] Check feed wheel wear and kicker air pressure',
        '[ACTION] Adjust gate gap to the board caliper',
        '[SCHEDULE] Replace feed wheels at the next planned stop',
      ],
      critical: [
        '[STOP] Stop the line: repeated double feeds can damage the print units',
        '[ACTION] Replace feed wheels and restore supply air pressure',
        '[VERIFY] Test-feed at reduced speed before returning to production',
      ],
    },
  },
  {
    component_name: 'Printing Unit',
    description: 'Flexo print station: plate and impression cylinders, anilox and chambered doctor blade',
    failure_mode: 'Register drift and uneven impression',
    effect: 'Colour misregister and print defects across the order',
    cause: 'Worn line-shaft gears and bearings, unstable air for impression throw-on and chamber loading',
    severity: 7,
    occurrence: 4,
    detection: 5,
    linked_sensors: sensors('pressure', 'vibration_rotor'),
    recommendations: {
      good: [
        '[MONITOR] Check register marks at the start of every order',
        '[SCHEDULE] Inspect gear backlash quarterly',
        '[STATUS] Component in optimal condition',
      ],
      warning: [
        '[INSPECT] Check air pressure at the impression and chamber regulators',
        '[ACTION] Re-set impression; check gear backlash on the print unit',
        '[SCHEDULE] Plan bearing inspection at the next planned stop',
      ],
      critical: [
        '[STOP] Stop printing: register cannot be held',
        '[ACTION] Restore air supply; replace worn gears or bearings',
        '[VERIFY] Print a test sheet and confirm register before release',
      ],
    },
  },
  {
    component_name: 'Anilox Roller',
    description: 'Engraved ceramic roller that meters ink to the plate',
    failure_mode: 'Cell plugging or scoring',
    effect: 'Weak or streaky colour; scoring ruins the roller',
    cause: 'Dried ink in the cells, doctor blade over-pressure, worn blade steel',
    severity: 6,
    occurrence: 5,
    detection: 8,
    linked_sensors: sensors('pressure', 'temperature_env'),
    recommendations: {
      good: [
        '[MONITOR] Check print density against the standard weekly',
        '[SCHEDULE] Deep-clean the anilox every 2 weeks',
        '[STATUS] Component in optimal condition',
      ],
      warning: [
        '[INSPECT] Check cell volume with a microscope or volume gauge',
        '[ACTION] Deep-clean (ultrasonic or soda blast) to recover volume',
        '[ACTION] Check doctor blade loading pressure',
      ],
      critical: [
        '[STOP] Stop the print unit: scoring spreads with every revolution',
        '[ACTION] Replace the anilox roller and the doctor blades together',
        '[VERIFY] Confirm density and absence of score lines on a test sheet',
      ],
    },
  },
  {
    component_name: 'Doctor Blade',
    description: 'Chambered doctor blade that wipes excess ink from the anilox',
    failure_mode: 'Blade wear or uneven loading',
    effect: 'Streaks, haze and ink spitting; worn blades score the anilox',
    cause: 'Normal wear, unstable chamber loading pressure, abrasive ink',
    severity: 5,
    occurrence: 7,
    detection: 5,
    linked_sensors: sensors('pressure'),
    recommendations: {
      good: [
        '[MONITOR] Inspect blade edge at every order change',
        '[SCHEDULE] Replace blades per the running-hour plan',
        '[STATUS] Component in optimal condition',
      ],
      warning: [
        '[INSPECT] Check blade edge and chamber seals for wear',
        '[ACTION] Stabilise chamber loading air pressure',
        '[SCHEDULE] Change blades at the next order change',
      ],
      critical: [
        '[STOP] Stop the print unit to protect the anilox',
        '[ACTION] Replace blades and end seals',
        '[VERIFY] Check the anilox surface for score lines',
      ],
    },
  },
  {
    component_name: 'Plate Cylinder',
    description: 'Cylinder carrying the printing plate',
    failure_mode: 'Plate lift or bearing wear',
    effect: 'Print defects, bounce marks at speed',
    cause: 'Mounting tape failure, worn bearings, gear damage',
    severity: 6,
    occurrence: 3,
    detection: 5,
    linked_sensors: sensors('vibration_rotor'),
    recommendations: {
      good: [
        '[MONITOR] Check plate edges at every order change',
        '[SCHEDULE] Inspect bearings every 6 months',
        '[STATUS] Component in optimal condition',
      ],
      warning: [
        '[INSPECT] Check plate mounting and cylinder run-out',
        '[ACTION] Re-mount lifting plates with fresh tape',
        '[SCHEDULE] Plan bearing replacement',
      ],
      critical: [
        '[STOP] Stop printing: bounce marks or a loose plate',
        '[ACTION] Replace bearings; re-mount the plate',
        '[VERIFY] Measure run-out before restarting',
      ],
    },
  },
  {
    component_name: 'Impression Cylinder',
    description: 'Steel cylinder pressing the board against the plate',
    failure_mode: 'Bearing wear or surface damage',
    effect: 'Uneven impression, board crush reducing box compression strength',
    cause: 'Bearing fatigue, impression set too tight, foreign objects',
    severity: 6,
    occurrence: 3,
    detection: 6,
    linked_sensors: sensors('vibration_rotor'),
    recommendations: {
      good: [
        '[MONITOR] Check board caliper after print for crush',
        '[SCHEDULE] Inspect surface and bearings every 6 months',
        '[STATUS] Component in optimal condition',
      ],
      warning: [
        '[INSPECT] Measure board caliper loss across the print unit',
        '[ACTION] Reduce impression to kiss-print',
        '[SCHEDULE] Plan bearing inspection',
      ],
      critical: [
        '[STOP] Stop the line: crushed board fails compression tests',
        '[ACTION] Replace bearings or regrind the cylinder',
        '[VERIFY] Run a box compression test on the first boxes',
      ],
    },
  },
  {
    component_name: 'Ink Pump',
    description: 'Air-operated diaphragm pump circulating ink to the doctor chamber',
    failure_mode: 'Diaphragm failure or loss of prime',
    effect: 'Ink starvation: fading print, dry anilox',
    cause: 'Diaphragm fatigue, low supply air, dried ink in the valves',
    severity: 5,
    occurrence: 5,
    detection: 4,
    linked_sensors: sensors('pressure', 'temperature_env'),
    recommendations: {
      good: [
        '[MONITOR] Check ink flow at the chamber return',
        '[SCHEDULE] Flush pumps at every colour change',
        '[STATUS] Component in optimal condition',
      ],
      warning: [
        '[INSPECT] Check pump stroke rate and supply air pressure',
        '[ACTION] Clean check valves; check ink viscosity',
        '[SCHEDULE] Replace diaphragms at the next planned stop',
      ],
      critical: [
        '[STOP] Stop the print unit before the anilox runs dry',
        '[ACTION] Replace diaphragm and valves; restore air supply',
        '[VERIFY] Confirm circulation and viscosity before restarting',
      ],
    },
  },
  {
    component_name: 'Slotter',
    description: 'Slotting and scoring heads that cut the flap slots',
    failure_mode: 'Knife wear or head misalignment',
    effect: 'Ragged slots, cracked scores, boxes that do not fold square',
    cause: 'Blade wear, loose heads, worn drive gears',
    severity: 6,
    occurrence: 5,
    detection: 5,
    linked_sensors: sensors('vibration_rotor', 'current'),
    recommendations: {
      good: [
        '[MONITOR] Inspect slot edges at each order start',
        '[SCHEDULE] Sharpen or rotate knives per running hours',
        '[STATUS] Component in optimal condition',
      ],
      warning: [
        '[INSPECT] Check knife edges and head alignment',
        '[ACTION] Re-align heads; tighten clamps',
        '[SCHEDULE] Replace knives at the next order change',
      ],
      critical: [
        '[STOP] Stop the line: slots are out of tolerance',
        '[ACTION] Replace knives; repair head drive',
        '[VERIFY] Check slot depth and score quality on first boxes',
      ],
    },
  },
  {
    component_name: 'Die Cutter',
    description: 'Rotary die cutter with polyurethane anvil',
    failure_mode: 'Anvil cover wear, incomplete cuts',
    effect: 'Boxes with uncut tabs or hand holes; stripping problems',
    cause: 'Anvil wear, missing anvil rotation, dull rule',
    severity: 7,
    occurrence: 5,
    detection: 6,
    linked_sensors: sensors('current', 'vibration_rotor'),
    recommendations: {
      good: [
        '[MONITOR] Check cut quality and waste stripping each shift',
        '[SCHEDULE] Rotate and trim anvil covers weekly',
        '[STATUS] Component in optimal condition',
      ],
      warning: [
        '[INSPECT] Measure anvil cover wear and check the oscillation drive',
        '[ACTION] Trim or regrind anvil covers',
        '[SCHEDULE] Replace anvil covers at the next planned stop',
      ],
      critical: [
        '[STOP] Stop the line: cuts are incomplete',
        '[ACTION] Replace anvil covers; check die rule',
        '[VERIFY] Check cut-through on the first 20 boxes',
      ],
    },
  },
  {
    component_name: 'Folder-Gluer',
    description: 'Folding section with glue application and squaring',
    failure_mode: 'Glue skips and fishtail (skewed) folds',
    effect: 'Open or skewed joints; customer rejects whole loads',
    cause: 'Glue nozzle clogging, belt wear, glue setting slowed by heat or humidity',
    severity: 8,
    occurrence: 5,
    detection: 5,
    linked_sensors: sensors('temperature_env', 'humidity_env', 'vibration_rotor'),
    recommendations: {
      good: [
        '[MONITOR] Check joint quality and gap every 500 boxes',
        '[SCHEDULE] Clean glue nozzles at every order change',
        '[STATUS] Component in optimal condition',
      ],
      warning: [
        '[INSPECT] Check glue pattern and folding belt wear',
        '[ACTION] Adjust glue quantity for ambient heat and humidity',
        '[SCHEDULE] Replace folding belts at the next planned stop',
      ],
      critical: [
        '[STOP] Stop the line: joints are open or skewed',
        '[ACTION] Clear nozzles; replace worn belts; re-square the folding section',
        '[VERIFY] Pull-test joints on the first boxes after restart',
      ],
    },
  },
  {
    component_name: 'Counter-Ejector',
    description: 'Counts and stacks finished boxes into bundles',
    failure_mode: 'Miscounts and stack jams',
    effect: 'Wrong bundle counts, line stoppage at the delivery',
    cause: 'Photo-eye contamination, pneumatic pusher faults',
    severity: 5,
    occurrence: 4,
    detection: 3,
    linked_sensors: sensors('pressure'),
    recommendations: {
      good: [
        '[MONITOR] Spot-check bundle counts each shift',
        '[SCHEDULE] Clean photo-eyes daily',
        '[STATUS] Component in optimal condition',
      ],
      warning: [
        '[INSPECT] Check pusher cylinders and supply air pressure',
        '[ACTION] Clean and re-align photo-eyes',
        '[SCHEDULE] Service pneumatic cylinders at the next planned stop',
      ],
      critical: [
        '[STOP] Stop the delivery: counts cannot be trusted',
        '[ACTION] Replace faulty cylinders or sensors',
        '[VERIFY] Recount three bundles by hand after restart',
      ],
    },
  },
  {
    component_name: 'Vacuum Transfer',
    description: 'Vacuum belts carrying sheets between sections without crushing them',
    failure_mode: 'Loss of vacuum hold or belt wear',
    effect: 'Sheet slip causing register errors and jams',
    cause: 'Worn or torn belts, blocked vacuum chambers, fan imbalance',
    severity: 6,
    occurrence: 4,
    detection: 5,
    linked_sensors: sensors('pressure', 'vibration_rotor'),
    recommendations: {
      good: [
        '[MONITOR] Check vacuum level on the gauge each shift',
        '[SCHEDULE] Clean vacuum chambers weekly',
        '[STATUS] Component in optimal condition',
      ],
      warning: [
        '[INSPECT] Inspect belts for wear and tears; check fan balance',
        '[ACTION] Clean filters and chambers',
        '[SCHEDULE] Replace belts at the next planned stop',
      ],
      critical: [
        '[STOP] Stop the line: sheets are slipping',
        '[ACTION] Replace belts; repair fan or chamber leaks',
        '[VERIFY] Check register after restart',
      ],
    },
  },
  {
    component_name: 'Main Drive Motor',
    description: '30 kW AC main drive motor driving the line shaft',
    failure_mode: 'Bearing failure or winding insulation breakdown',
    effect: 'Complete line stop; winding failure means a rewind of several days',
    cause: 'Bearing wear and lubrication loss, overload, overheating, supply voltage deviation',
    severity: 9,
    occurrence: 3,
    detection: 4,
    linked_sensors: sensors('temperature_coil', 'vibration_rotor', 'current', 'voltage'),
    recommendations: {
      good: [
        '[MONITOR] Trend coil temperature, vibration and current',
        '[SCHEDULE] Re-grease bearings per the nameplate interval',
        '[STATUS] Component in optimal condition',
      ],
      warning: [
        '[INSPECT] Check bearing condition (vibration spectrum, noise, temperature)',
        '[ACTION] Check cooling fan and air path; check load and supply voltage',
        '[SCHEDULE] Plan bearing replacement at the next planned stop',
      ],
      critical: [
        '[STOP] Reduce load or stop the line before the winding or bearing fails',
        '[ACTION] Replace bearings; megger-test the winding insulation',
        '[VERIFY] Run unloaded and check vibration and temperature before production',
      ],
    },
  },
  {
    component_name: 'Dryer',
    description: 'Hot-air / IR dryers between print units',
    failure_mode: 'Insufficient drying',
    effect: 'Ink smearing and set-off in the stack',
    cause: 'Failed heater elements, blocked air filters, high ambient humidity',
    severity: 5,
    occurrence: 4,
    detection: 5,
    linked_sensors: sensors('temperature_env', 'humidity_env', 'voltage'),
    recommendations: {
      good: [
        '[MONITOR] Check print rub resistance each order',
        '[SCHEDULE] Clean dryer filters weekly',
        '[STATUS] Component in optimal condition',
      ],
      warning: [
        '[INSPECT] Check heater element currents and air filters',
        '[ACTION] Reduce line speed in high ambient humidity',
        '[SCHEDULE] Replace weak heater elements at the next planned stop',
      ],
      critical: [
        '[STOP] Stop the line: ink is not drying',
        '[ACTION] Replace failed heater elements; clear air filters',
        '[VERIFY] Rub-test the first boxes after restart',
      ],
    },
  },
];
