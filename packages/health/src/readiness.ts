import type { CheckResult } from './check.js';

export type Readiness = 'ready' | 'degraded' | 'not_ready';

export interface InstanceState {
  startupComplete: boolean;
  shuttingDown: boolean;
  /** Breakers open right now (calls to that dependency fail fast). */
  openBreakers?: number;
}

/**
 * `not_ready` when startup has not finished, shutdown has begun, or a critical check is unhealthy;
 * `degraded` when a non-critical check is unhealthy, any check is degraded, or a breaker is open;
 * `ready` otherwise.
 */
export function readiness(results: readonly CheckResult[], state: InstanceState): Readiness {
  if (!state.startupComplete || state.shuttingDown) return 'not_ready';
  if (results.some((r) => r.critical && r.status === 'unhealthy')) return 'not_ready';
  if (results.some((r) => r.status !== 'healthy') || (state.openBreakers ?? 0) > 0) return 'degraded';
  return 'ready';
}

export const httpStatusOf = (value: Readiness) => (value === 'not_ready' ? 503 : 200);
