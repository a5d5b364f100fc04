import { type Static, type TObject, type TProperties, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const Integer = (options: { minimum: number; maximum?: number; default: number; description: string }) =>
  Type.Integer(options);

/**
 * The variables every service reads. A service adds its own with `serviceConfigSchema({ ...extra })`
 * and gives its own defaults (PORT, DATA_DIR) with `Type.Integer({ default })` overrides.
 */
export const baseConfigProperties = {
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
    description: 'development, production or test',
  }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Interface to listen on' }),
  PORT: Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'Port to listen on' }),
  DATABASE_URL: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://',
      description: 'PostgreSQL connection string; without it an embedded PostgreSQL is started',
    }),
  ),
  DATA_DIR: Type.String({
    minLength: 1,
    default: '.data',
    description: 'Where the embedded PostgreSQL keeps its data',
  }),
  LOG_LEVEL: Type.Union(
    LOG_LEVELS.map((level) => Type.Literal(level)),
    { default: 'info', description: LOG_LEVELS.join(', ') },
  ),
  SLOW_REQUEST_MS: Integer({
    minimum: 1,
    default: 1000,
    description: 'Requests slower than this are flagged slow',
  }),
  TRUST_PROXY: Type.Boolean({
    default: false,
    description:
      'Behind a load balancer: take the client address from X-Forwarded-For (rate limits are per client)',
  }),
  RATE_LIMIT_MAX: Integer({ minimum: 1, default: 300, description: 'Requests per client per window' }),
  RATE_LIMIT_WINDOW_MS: Integer({ minimum: 1, default: 60_000, description: 'Rate-limit window' }),
  BODY_LIMIT_BYTES: Integer({ minimum: 1, default: 1_048_576, description: 'Largest accepted request body' }),
  SHUTDOWN_TIMEOUT_MS: Integer({
    minimum: 0,
    default: 10_000,
    description: 'How long in-flight requests may drain',
  }),
  SHUTDOWN_DELAY_MS: Type.Optional(
    Type.Integer({
      minimum: 0,
      description: 'How long readiness fails before the server closes; 5000 in production, 0 otherwise',
    }),
  ),
  MIGRATE_ON_START: Type.Boolean({ default: true, description: 'Run pending migrations at startup' }),
  DB_POOL_MAX: Integer({ minimum: 1, maximum: 1000, default: 10, description: 'PostgreSQL pool size' }),
  DB_CONNECT_TIMEOUT_MS: Integer({ minimum: 1, default: 2000, description: 'PostgreSQL connect timeout' }),
  DB_QUERY_TIMEOUT_MS: Integer({
    minimum: 1,
    default: 3000,
    description: 'A database call slower than this fails with 504 and counts against the breaker',
  }),
  DB_BREAKER_FAILURES: Integer({
    minimum: 1,
    default: 5,
    description: 'Database failures within 60 s that open the breaker',
  }),
  DB_BREAKER_OPEN_MS: Integer({
    minimum: 1,
    default: 30_000,
    description: 'How long the database breaker stays open',
  }),
  SLI_FLUSH_INTERVAL_MS: Integer({
    minimum: 100,
    default: 10_000,
    description: 'How often SLI counts are written to PostgreSQL (a crash loses at most this much)',
  }),
  HEALTH_CACHE_MS: Integer({
    minimum: 0,
    default: 1000,
    description: 'How long a readiness result is reused',
  }),
  HEALTH_CHECK_TIMEOUT_MS: Integer({
    minimum: 1,
    default: 2000,
    description: 'Default timeout of each health check',
  }),
  LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: Type.Optional(
    Type.Integer({
      minimum: 1,
      description: 'Shed load (503) above this mean event-loop delay; off when unset',
    }),
  ),
  LOAD_SHED_MAX_EVENT_LOOP_UTILIZATION: Type.Optional(
    Type.Number({
      exclusiveMinimum: 0,
      maximum: 1,
      description: 'Shed load above this event-loop utilisation; off when unset',
    }),
  ),
  LOAD_SHED_MAX_HEAP_USED_BYTES: Type.Optional(
    Type.Integer({ minimum: 1, description: 'Shed load above this heap; off when unset' }),
  ),
  LOAD_SHED_MAX_RSS_BYTES: Type.Optional(
    Type.Integer({ minimum: 1, description: 'Shed load above this RSS; off when unset' }),
  ),
  CHAOS_ENABLED: Type.Boolean({ default: false, description: 'Allow fault injection through /admin/chaos' }),
  CHAOS_ADMIN_TOKEN: Type.Optional(
    Type.String({
      description: 'Bearer token for /admin/chaos; at least 16 characters, required when chaos is enabled',
    }),
  ),
  CHAOS_MAX_DURATION_S: Integer({ minimum: 1, default: 3600, description: 'Longest a fault may live' }),
  CHAOS_MAX_ACTIVE_FAULTS: Integer({ minimum: 1, default: 10, description: 'Cap on active faults' }),
  CHAOS_STOP_BURN_RATE: Type.Number({
    exclusiveMinimum: 0,
    default: 14.4,
    description: 'All faults stop when an SLO burns its error budget this fast over 5 minutes',
  }),
  CHAOS_HEADER_TARGETING: Type.Boolean({
    default: false,
    description: 'Allow faults that target x-chaos-fault requests',
  }),
  DB_STATEMENT_TIMEOUT_MS: Integer({
    minimum: 1,
    default: 5000,
    description: 'PostgreSQL statement timeout',
  }),
};

export const BaseConfigSchema = Type.Object(baseConfigProperties);
export type BaseConfig = Static<typeof BaseConfigSchema>;

const PRODUCTION_SHUTDOWN_DELAY_MS = 5000;

export function shutdownDelayMs(config: BaseConfig): number {
  return config.SHUTDOWN_DELAY_MS ?? (config.NODE_ENV === 'production' ? PRODUCTION_SHUTDOWN_DELAY_MS : 0);
}

/** The base variables plus a service's own; a property given here replaces the base one (to change a default). */
export function serviceConfigSchema<T extends TProperties>(properties: T) {
  return Type.Object({ ...baseConfigProperties, ...properties });
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

// Values of these variables never appear in an error message: only their length does.
const SECRET_NAME = /TOKEN|PASSWORD|SECRET|KEY|DATABASE_URL/;

const describeValue = (key: string, value: unknown) => {
  if (value === undefined) return 'it is missing';
  return SECRET_NAME.test(key)
    ? `got a value of ${String(value).length} characters`
    : `got ${JSON.stringify(value)}`;
};

/** Rules that involve more than one variable, checked once every variable is valid on its own. */
const CROSS_CHECKS: Array<(config: Partial<BaseConfig>) => string | undefined> = [
  (config) =>
    config.CHAOS_ENABLED && (config.CHAOS_ADMIN_TOKEN?.length ?? 0) < 16
      ? `CHAOS_ADMIN_TOKEN: must be at least 16 characters when CHAOS_ENABLED=true (${describeValue('CHAOS_ADMIN_TOKEN', config.CHAOS_ADMIN_TOKEN)})`
      : undefined,
];

/**
 * Reads the schema's variables from `env`, applies defaults, converts strings to numbers and booleans,
 * and throws one ConfigError listing every bad or missing variable.
 */
export function loadConfig<T extends TObject>(schema: T, env: Record<string, string | undefined>): Static<T> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value.trim();
  }
  const candidate = Value.Convert(schema, Value.Default(schema, raw));
  const problems = [...Value.Errors(schema, candidate)].map((error) => {
    const key = error.path.replace(/^\//, '') || '(root)';
    return `${key}: ${error.message} (${describeValue(key, raw[key])})`;
  });
  if (problems.length === 0) {
    for (const check of CROSS_CHECKS) {
      const problem = check(candidate as Partial<BaseConfig>);
      if (problem) problems.push(problem);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return candidate as Static<T>;
}
