import { type Static, type TProperties, Type } from '@sinclair/typebox';
import { authConfig } from '@steadfast/auth';
import { chaosConfig } from '@steadfast/chaos';
import { healthConfig } from '@steadfast/health';
import { configFragment, configSchema } from '@steadfast/http';
import { sloConfig } from '@steadfast/slo';
import { chaosStopConfig } from './chaos-stop.js';
import { databaseConfig } from './db/database-config.js';
import { metricsConfig } from './metrics.js';
import { rateLimitConfig } from './rate-limit.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const DEFAULT_PORT = 3000;
export const DEFAULT_SLOW_REQUEST_MS = 1000;
export const DEFAULT_BODY_LIMIT_BYTES = 1_048_576;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
const PRODUCTION_SHUTDOWN_DELAY_MS = 5000;

/** The server's own variables: where it listens, how it logs, limits, and shutdown. */
export const serverConfig = configFragment({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
    description: 'development, production or test',
  }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Interface to listen on' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: DEFAULT_PORT, description: 'Port to listen on' }),
  LOG_LEVEL: Type.Union(
    LOG_LEVELS.map((level) => Type.Literal(level)),
    { default: 'info', description: LOG_LEVELS.join(', ') },
  ),
  SLOW_REQUEST_MS: Type.Integer({
    minimum: 1,
    default: DEFAULT_SLOW_REQUEST_MS,
    description: 'Requests slower than this are flagged slow',
  }),
  TRUST_PROXY: Type.Boolean({
    default: false,
    description:
      'Behind a load balancer: take the client address from X-Forwarded-For (rate limits are per client)',
  }),
  BODY_LIMIT_BYTES: Type.Integer({
    minimum: 1,
    default: DEFAULT_BODY_LIMIT_BYTES,
    description: 'Largest accepted request body',
  }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({
    minimum: 0,
    default: DEFAULT_SHUTDOWN_TIMEOUT_MS,
    description: 'How long in-flight requests may drain',
  }),
  SHUTDOWN_DELAY_MS: Type.Optional(
    Type.Integer({
      minimum: 0,
      description: `How long readiness fails before the server closes; ${PRODUCTION_SHUTDOWN_DELAY_MS} in production, 0 otherwise`,
    }),
  ),
});

/** Every fragment a service registers, in one place: the kit merges, the packages own their variables. */
const FRAGMENTS = [
  serverConfig,
  rateLimitConfig,
  metricsConfig,
  authConfig,
  databaseConfig,
  healthConfig,
  sloConfig,
  chaosConfig,
  chaosStopConfig,
] as const;

export const baseConfigProperties = {
  ...serverConfig.properties,
  ...rateLimitConfig.properties,
  ...metricsConfig.properties,
  ...authConfig.properties,
  ...databaseConfig.properties,
  ...healthConfig.properties,
  ...sloConfig.properties,
  ...chaosConfig.properties,
  ...chaosStopConfig.properties,
};

const CHECKS = FRAGMENTS.flatMap((fragment) => fragment.checks);

/** The base variables plus a service's own; a property given here replaces the base one (to change a default). */
export function serviceConfigSchema<T extends TProperties>(properties: T) {
  return configSchema({ ...baseConfigProperties, ...properties }, CHECKS);
}

export const BaseConfigSchema = serviceConfigSchema({});
export type BaseConfig = Static<typeof BaseConfigSchema>;

export function shutdownDelayMs(config: BaseConfig): number {
  return config.SHUTDOWN_DELAY_MS ?? (config.NODE_ENV === 'production' ? PRODUCTION_SHUTDOWN_DELAY_MS : 0);
}
