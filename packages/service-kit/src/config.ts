import { isIP } from 'node:net';
import { type Static, type TProperties, Type } from '@sinclair/typebox';
import { authConfig } from '@steadfast/auth';
import { chaosConfig } from '@steadfast/chaos';
import { healthConfig } from '@steadfast/health';
import { configFragment, configSchema } from '@steadfast/http';
import { sloConfig } from '@steadfast/slo';
import { databaseConfig } from './db/database-config.js';
import { metricsConfig } from './metrics.js';
import { rateLimitConfig } from './rate-limit.js';
import { LOOPBACK_HOSTS } from './request-origin.js';
import { tracingConfig } from './tracing.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const DEFAULT_PORT = 3000;
export const DEFAULT_SLOW_REQUEST_MS = 1000;
export const DEFAULT_BODY_LIMIT_BYTES = 1_048_576;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
/** Receiving a whole request (headers and body); a stalled upload is answered 408 and its socket closed. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Receiving the headers: slowloris gets this long, not the whole request timeout. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** A socket with no traffic either way for this long is closed (long-lived routes opt out). */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 60_000;
/** Longer than the 60 s idle timeout of common load balancers, so they never reuse a socket the server closed. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 72_000;
/** Under the usual 1,024-descriptor limit, leaving room for the pool, the logs and the files a process opens. */
export const DEFAULT_MAX_CONNECTIONS = 512;
const PRODUCTION_SHUTDOWN_DELAY_MS = 5000;

/** The server's own variables: where it listens, how it logs, limits, and shutdown. */
export const serverConfig = configFragment(
  {
    NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
      default: 'development',
      description: 'development, production or test',
    }),
    HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Interface to listen on' }),
    PORT: Type.Integer({
      minimum: 0,
      maximum: 65535,
      default: DEFAULT_PORT,
      description: 'Port to listen on',
    }),
    LOG_LEVEL: Type.Union(
      LOG_LEVELS.map((level) => Type.Literal(level)),
      { default: 'info', description: LOG_LEVELS.join(', ') },
    ),
    SLOW_REQUEST_MS: Type.Integer({
      minimum: 1,
      default: DEFAULT_SLOW_REQUEST_MS,
      description: 'Requests slower than this are flagged slow',
    }),
    TRUST_PROXY: Type.String({
      default: 'false',
      description:
        'Proxies in front of the service whose X-Forwarded-For is believed: false, a hop count (1 behind one ' +
        'load balancer), or a comma-separated list of addresses, CIDRs and loopback/linklocal/uniquelocal; ' +
        'true means 1 (it never trusts every hop)',
    }),
    ALLOWED_HOSTS: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Comma-separated host names the service answers to (421 otherwise); * for any, .example.com for its ' +
          'subdomains; loopback names outside production, any in production',
      }),
    ),
    CORS_ORIGINS: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Comma-separated browser origins (https://app.example.com) allowed cross-origin; none by default',
      }),
    ),
    BODY_LIMIT_BYTES: Type.Integer({
      minimum: 1,
      default: DEFAULT_BODY_LIMIT_BYTES,
      description: 'Largest accepted request body',
    }),
    REQUEST_TIMEOUT_MS: Type.Integer({
      minimum: 1,
      default: DEFAULT_REQUEST_TIMEOUT_MS,
      description: 'Longest time to receive a whole request (headers and body); 408 after it',
    }),
    HEADERS_TIMEOUT_MS: Type.Integer({
      minimum: 1,
      default: DEFAULT_HEADERS_TIMEOUT_MS,
      description: 'Longest time to receive the request headers; at most REQUEST_TIMEOUT_MS',
    }),
    CONNECTION_TIMEOUT_MS: Type.Integer({
      minimum: 1,
      default: DEFAULT_CONNECTION_TIMEOUT_MS,
      description: 'A socket idle this long is closed (routes with config.longLived are exempt)',
    }),
    KEEP_ALIVE_TIMEOUT_MS: Type.Integer({
      minimum: 1,
      default: DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
      description: 'How long an idle keep-alive socket waits for its next request',
    }),
    MAX_CONNECTIONS: Type.Integer({
      minimum: 1,
      default: DEFAULT_MAX_CONNECTIONS,
      description: 'Open connections at most; the server closes any over it at once',
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
  },
  [
    (config) =>
      config.HEADERS_TIMEOUT_MS !== undefined &&
      config.REQUEST_TIMEOUT_MS !== undefined &&
      config.HEADERS_TIMEOUT_MS > config.REQUEST_TIMEOUT_MS
        ? `HEADERS_TIMEOUT_MS (${config.HEADERS_TIMEOUT_MS}) must not exceed REQUEST_TIMEOUT_MS (${config.REQUEST_TIMEOUT_MS})`
        : undefined,
    (config) => {
      const bad = splitList(config.CORS_ORIGINS ?? '').filter((origin) => !isOrigin(origin));
      return bad.length === 0
        ? undefined
        : `CORS_ORIGINS: ${bad.map((origin) => JSON.stringify(origin)).join(', ')} is not an origin (scheme://host[:port])`;
    },
    (config) => {
      const invalid = config.TRUST_PROXY === undefined ? [] : trustedProxyProblems(config.TRUST_PROXY);
      return invalid.length === 0
        ? undefined
        : `TRUST_PROXY: ${invalid.map((item) => JSON.stringify(item)).join(', ')} is not a hop count, an address, a CIDR or loopback/linklocal/uniquelocal`;
    },
  ],
);

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
  tracingConfig,
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
  ...tracingConfig.properties,
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

// proxy-addr's (Fastify's) names for whole ranges.
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrRange(item: string): boolean {
  if (PROXY_RANGE_NAMES.has(item)) return true;
  const [address = '', prefix, ...rest] = item.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits <= (version === 4 ? 32 : 128);
}

function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

const splitList = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

function trustedProxyProblems(value: string): string[] {
  if (/^(true|false|\d+)$/.test(value)) return [];
  return splitList(value).filter((item) => !isAddressOrRange(item));
}

/**
 * Fastify's `trustProxy` from TRUST_PROXY. A hop count trusts that many proxies counted from the socket's peer, so
 * the address is the one the outermost trusted proxy saw; `true` is one hop, not Fastify's "every hop" (believing
 * every X-Forwarded-For entry lets a client choose its own address, and rate-limit bucket, by sending a left-most
 * one). A list of the proxies' addresses is stricter still: a client that reaches the port directly is not believed.
 */
export function trustProxyFrom(
  value: string,
): false | string[] | ((address: string, hop: number) => boolean) {
  if (value === 'false' || value === '0') return false;
  if (value === 'true' || /^\d+$/.test(value)) {
    const hops = value === 'true' ? 1 : Number(value);
    return (_address, hop) => hop < hops;
  }
  return splitList(value);
}

/** The Host allow-list: ALLOWED_HOSTS, or loopback names outside production and any host in production. */
export function allowedHostsFrom(config: BaseConfig): string[] {
  if (config.ALLOWED_HOSTS !== undefined) return splitList(config.ALLOWED_HOSTS);
  return config.NODE_ENV === 'production' ? ['*'] : [...LOOPBACK_HOSTS];
}

export const corsOriginsFrom = (config: BaseConfig): string[] => splitList(config.CORS_ORIGINS ?? '');
