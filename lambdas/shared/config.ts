/**
 * The environment contract of the Lambda functions: every variable they read, as one zod schema. The CDK
 * stack sets exactly these names (FUNCTION_ENV says which function needs which), and the local runtime
 * builds the same record from its emulator endpoints, so the cloud and local wirings cannot drift apart.
 *
 * This is the only module that reads `process.env` (Powertools and the AWS SDK read their own variables,
 * listed here for the stack's benefit). Everything else receives a parsed `Config`.
 */
import * as z from 'zod';
import { MACHINE_ID_PATTERN } from '../core/messages.js';
import { type MachineProfile, resolveProfile, VIBRATION_CLASSES } from '../core/profiles.js';
import { SENSOR_NAMES } from '../core/sensors.js';

export const TIME_SERIES_BACKENDS = ['timestream', 'dynamodb'] as const;
export type TimeSeriesBackend = (typeof TIME_SERIES_BACKENDS)[number];

/** The functions that read this contract. */
export type FunctionName = 'processor' | 'api';

/** Every environment variable, with what it holds (shown in config errors and usable as CDK documentation). */
export const ENV_VARS = {
  AWS_REGION: 'AWS region of every client (set by Lambda itself)',
  TIME_SERIES_BACKEND: 'where time series go: "timestream" or "dynamodb" (default dynamodb)',
  RAW_BUCKET: 'S3 bucket of the raw archive (raw/), quarantine (quarantine/) and models (models/)',
  MODEL_BUCKET: 'S3 bucket of the models, when not RAW_BUCKET',
  MODEL_PREFIX: 'key prefix of the model artifacts (default "models/")',
  COMPONENTS_TABLE: 'DynamoDB table of the FMEA components',
  ANOMALIES_TABLE: 'DynamoDB table of the alarms',
  MACHINE_STATE_TABLE: 'DynamoDB table of the per-machine twin state',
  TELEMETRY_TABLE: 'DynamoDB table of the bucketed time series (TIME_SERIES_BACKEND=dynamodb)',
  TELEMETRY_RETENTION_DAYS: 'days a DynamoDB time-series bucket lives before its TTL expires it (default 30)',
  TIMESTREAM_DATABASE: 'Timestream database (TIME_SERIES_BACKEND=timestream)',
  TIMESTREAM_TELEMETRY_TABLE: 'Timestream table of the telemetry (default "telemetry")',
  TIMESTREAM_PRODUCTION_TABLE: 'Timestream table of the production status (default "production")',
  IOT_DATA_ENDPOINT: 'account-specific IoT data endpoint, e.g. https://xxxx-ats.iot.eu-west-1.amazonaws.com',
  DEFAULT_MACHINE_ID: 'machine the original single-machine routes answer for (default C_FL104)',
  MACHINE_PROFILES:
    'JSON object of per-machine profile overrides, e.g. {"C_FL104":{"rated_current_a":60},"*":{...}}',
  AWS_ENDPOINT_URL: 'endpoint of every AWS client (emulators); read natively by the SDK as well',
  AWS_ENDPOINT_URL_S3: 'endpoint of the S3 client (path-style addressing is used with it)',
  AWS_ENDPOINT_URL_DYNAMODB: 'endpoint of the DynamoDB client',
  AWS_ENDPOINT_URL_TIMESTREAM_WRITE: 'endpoint of the Timestream write client',
  AWS_ENDPOINT_URL_TIMESTREAM_QUERY: 'endpoint of the Timestream query client',
  AWS_ENDPOINT_URL_IOT_DATA_PLANE: 'endpoint of the IoT data-plane client',
  POWERTOOLS_SERVICE_NAME: 'service name in logs and metrics (read by Powertools)',
  POWERTOOLS_METRICS_NAMESPACE: 'CloudWatch namespace of the EMF metrics (read by Powertools)',
  POWERTOOLS_LOG_LEVEL: 'log level (read by Powertools)',
} as const;

export type EnvVarName = keyof typeof ENV_VARS;

/**
 * The variables each function cannot start without. The stack sets these, plus TIME_SERIES_BACKEND and
 * the tables of that backend (checked by the schema), plus whatever defaulted ones it wants to change.
 */
export const FUNCTION_ENV: Readonly<Record<FunctionName, readonly EnvVarName[]>> = {
  processor: [
    'AWS_REGION',
    'RAW_BUCKET',
    'COMPONENTS_TABLE',
    'ANOMALIES_TABLE',
    'MACHINE_STATE_TABLE',
    'IOT_DATA_ENDPOINT',
  ],
  api: ['AWS_REGION', 'RAW_BUCKET', 'COMPONENTS_TABLE', 'ANOMALIES_TABLE', 'MACHINE_STATE_TABLE'],
};

/** Recommended Powertools settings per function (the stack passes them on). */
export function powertoolsEnv(fn: FunctionName): Record<string, string> {
  return {
    POWERTOOLS_SERVICE_NAME: `flexotwin-${fn}`,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    POWERTOOLS_LOG_LEVEL: 'INFO',
  };
}

export const METRICS_NAMESPACE = 'FlexoTwin';

const name = z.string().trim().min(1, 'must not be empty');
const url = z.url({ message: 'must be a URL, e.g. http://127.0.0.1:4569' });
const positiveInt = z.coerce.number().int('must be an integer').positive('must be > 0');

/** Per-machine overrides of the profile; strict, so a typo in a key is an error and not a silent no-op. */
export const profileOverridesSchema = z
  .object({
    machine_type: name,
    rated_current_a: z.number().positive(),
    nominal_voltage_v: z.number().positive(),
    pressure_nominal_pa: z.number().positive(),
    pressure_band_pa: z.tuple([z.number().nonnegative(), z.number().positive()]),
    vibration_class: z.enum(VIBRATION_CLASSES),
    coil_temp_warning_c: z.number(),
    coil_temp_critical_c: z.number(),
    coil_temp_rise_c_per_min: z.number().positive(),
    ambient_temp_warning_c: z.number(),
    humidity_warning_pct: z.number().min(0).max(100),
    ideal_rate_ppm: z.number().positive(),
    debounce_readings: z.number().int().min(1).max(1000),
    sensor_components: z.record(z.enum(SENSOR_NAMES), name),
    /** Shift start in hours after midnight UTC (oee.ts shiftStart). */
    shift_offset_hours: z.number().min(-12).max(24),
  })
  .partial()
  .strict();

export type ProfileOverrides = z.infer<typeof profileOverridesSchema>;

const machineProfilesSchema = z
  .string()
  .transform((text, ctx): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(
      z.string().refine((id) => id === '*' || MACHINE_ID_PATTERN.test(id), 'must be a machine id or "*"'),
      profileOverridesSchema,
    ),
  );

export const configSchema = z
  .object({
    AWS_REGION: name.optional(),
    TIME_SERIES_BACKEND: z.enum(TIME_SERIES_BACKENDS).default('dynamodb'),
    RAW_BUCKET: name.optional(),
    MODEL_BUCKET: name.optional(),
    MODEL_PREFIX: z
      .string()
      .regex(/^([A-Za-z0-9._-]+\/)*$/, 'must be a key prefix ending in "/", e.g. models/')
      .default('models/'),
    COMPONENTS_TABLE: name.optional(),
    ANOMALIES_TABLE: name.optional(),
    MACHINE_STATE_TABLE: name.optional(),
    TELEMETRY_TABLE: name.optional(),
    TELEMETRY_RETENTION_DAYS: positiveInt.max(36_500).default(30),
    TIMESTREAM_DATABASE: name.optional(),
    TIMESTREAM_TELEMETRY_TABLE: name.default('telemetry'),
    TIMESTREAM_PRODUCTION_TABLE: name.default('production'),
    IOT_DATA_ENDPOINT: url.optional(),
    DEFAULT_MACHINE_ID: z.string().regex(MACHINE_ID_PATTERN, 'must be a machine id').default('C_FL104'),
    MACHINE_PROFILES: machineProfilesSchema.optional(),
    AWS_ENDPOINT_URL: url.optional(),
    AWS_ENDPOINT_URL_S3: url.optional(),
    AWS_ENDPOINT_URL_DYNAMODB: url.optional(),
    AWS_ENDPOINT_URL_TIMESTREAM_WRITE: url.optional(),
    AWS_ENDPOINT_URL_TIMESTREAM_QUERY: url.optional(),
    AWS_ENDPOINT_URL_IOT_DATA_PLANE: url.optional(),
    POWERTOOLS_SERVICE_NAME: name.optional(),
    POWERTOOLS_METRICS_NAMESPACE: name.optional(),
    POWERTOOLS_LOG_LEVEL: name.optional(),
  })
  .superRefine((env, ctx) => {
    const need = (key: EnvVarName, why: string) => {
      if (env[key as keyof typeof env] === undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: `is required ${why}` });
      }
    };
    if (env.TIME_SERIES_BACKEND === 'dynamodb') need('TELEMETRY_TABLE', 'when TIME_SERIES_BACKEND=dynamodb');
    else need('TIMESTREAM_DATABASE', 'when TIME_SERIES_BACKEND=timestream');
  });

export type Config = z.output<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid environment:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment. `required` names the variables the caller cannot work without (beyond the
 * backend-specific ones the schema checks itself); every problem is reported at once, with what the
 * variable is for.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  required: readonly EnvVarName[] = [],
): Config {
  // Empty strings are "not set": a stack that blanks a variable must not pass it as a value.
  const present: Record<string, string> = {};
  for (const key of Object.keys(ENV_VARS)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') present[key] = value;
  }
  const problems: string[] = [];
  for (const key of required) {
    if (present[key] === undefined) problems.push(`${key} is required: ${ENV_VARS[key]}`);
  }
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '');
      if (problems.some((p) => p.startsWith(`${key} is required`))) continue;
      const detail = issue.path.length > 1 ? ` (${issue.path.slice(1).join('.')})` : '';
      const hint = key in ENV_VARS ? `: ${ENV_VARS[key as EnvVarName]}` : '';
      problems.push(`${key}${detail} ${issue.message}${hint}`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return parsed.data;
}

/** Loads the configuration a function needs, failing with every missing variable named. */
export function loadFunctionConfig(
  fn: FunctionName,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Config {
  return loadConfig(env, FUNCTION_ENV[fn]);
}

/** A required setting, or a ConfigError naming it: for values only some wirings need. */
export function requireSetting<K extends EnvVarName & keyof Config>(
  config: Config,
  key: K,
): NonNullable<Config[K]> {
  const value = config[key];
  if (value === undefined || value === null) throw new ConfigError([`${key} is required: ${ENV_VARS[key]}`]);
  return value as NonNullable<Config[K]>;
}

/** A machine's profile and shift offset: "*" overrides first, then the machine's own. */
export function machineProfile(
  config: Pick<Config, 'MACHINE_PROFILES'>,
  machineId: string,
): { profile: MachineProfile; shiftOffsetHours: number | undefined } {
  const all = config.MACHINE_PROFILES ?? {};
  const { shift_offset_hours: fleetOffset, ...fleet } = all['*'] ?? {};
  const { shift_offset_hours: ownOffset, ...own } = all[machineId] ?? {};
  const overrides = { ...fleet, ...own } as Partial<MachineProfile>;
  return { profile: resolveProfile(overrides), shiftOffsetHours: ownOffset ?? fleetOffset };
}
