import { type Static, type TObject, Type } from '@sinclair/typebox';
import { configFragment } from '@steadfast/http';
import { DEFAULT_CHECK_TIMEOUT_MS } from './check.js';
import { DEFAULT_READINESS_CACHE_MS, type HealthPluginOptions } from './plugin.js';

/** The health plugin's environment variables; load shedding is off unless one of its limits is set. */
export const healthConfig = configFragment({
  HEALTH_CACHE_MS: Type.Integer({
    minimum: 0,
    default: DEFAULT_READINESS_CACHE_MS,
    description: 'How long a readiness result is reused',
  }),
  HEALTH_CHECK_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: DEFAULT_CHECK_TIMEOUT_MS,
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
});

export type HealthConfig = Static<TObject<typeof healthConfig.properties>>;

/** The plugin options these variables set (checks, breakers and the service's identity come from the service). */
export function healthOptionsFrom(
  config: HealthConfig,
): Pick<HealthPluginOptions, 'cacheMs' | 'defaultTimeoutMs' | 'loadShedding'> {
  const limits = {
    maxEventLoopDelayMs: config.LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS,
    maxEventLoopUtilization: config.LOAD_SHED_MAX_EVENT_LOOP_UTILIZATION,
    maxHeapUsedBytes: config.LOAD_SHED_MAX_HEAP_USED_BYTES,
    maxRssBytes: config.LOAD_SHED_MAX_RSS_BYTES,
  };
  const set = Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined));
  return {
    cacheMs: config.HEALTH_CACHE_MS,
    defaultTimeoutMs: config.HEALTH_CHECK_TIMEOUT_MS,
    ...(Object.keys(set).length === 0 ? {} : { loadShedding: set }),
  };
}
