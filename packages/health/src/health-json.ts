import type { CheckResult } from './check.js';
import type { Readiness } from './readiness.js';

/** `application/health+json` (draft-inadarei-api-health-check): pass / warn / fail. */
export const HEALTH_JSON = 'application/health+json';

const STATUS = { ready: 'pass', degraded: 'warn', not_ready: 'fail' } as const;
const CHECK_STATUS = { healthy: 'pass', degraded: 'warn', unhealthy: 'fail' } as const;

export function healthJson(
  overall: Readiness,
  checks: readonly CheckResult[],
  info: { version?: string | undefined; serviceId?: string | undefined; time: string },
) {
  return {
    status: STATUS[overall],
    ...(info.version ? { version: info.version } : {}),
    ...(info.serviceId ? { serviceId: info.serviceId } : {}),
    checks: Object.fromEntries(
      checks.map((check) => [
        `${check.name}:responseTime`,
        [
          {
            status: CHECK_STATUS[check.status],
            observedValue: check.latencyMs,
            observedUnit: 'ms',
            time: info.time,
            ...(check.message ? { output: check.message } : {}),
          },
        ],
      ]),
    ),
  };
}

/** True when the client prefers health+json (named in Accept, ahead of or instead of application/json). */
export function wantsHealthJson(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept.split(',').map((part) => part.split(';')[0]?.trim().toLowerCase());
  const health = types.indexOf(HEALTH_JSON);
  const json = types.indexOf('application/json');
  return health !== -1 && (json === -1 || health < json);
}
