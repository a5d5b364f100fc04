import type { CheckOutcome, HealthCheck } from './check.js';

/** The parts of a `pg.Pool` the check reads. */
export interface PoolLike {
  query(text: string): Promise<unknown>;
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options: { max?: number };
}

export interface PostgresCheckOptions {
  name?: string;
  critical?: boolean;
  timeoutMs?: number;
  /** `select 1` slower than this is degraded. */
  slowMs?: number;
  /** Share of the pool in use (or waited for) at or above which the check is degraded. */
  poolBusyRatio?: number;
}

export const DEFAULT_POSTGRES_SLOW_MS = 500;
export const DEFAULT_POOL_BUSY_RATIO = 0.9;

/** `select 1` latency, and pool pressure: degraded when slow or nearly exhausted, with usage in the message. */
export function postgresCheck(pool: PoolLike, options: PostgresCheckOptions = {}): HealthCheck {
  const slowMs = options.slowMs ?? DEFAULT_POSTGRES_SLOW_MS;
  const busyRatio = options.poolBusyRatio ?? DEFAULT_POOL_BUSY_RATIO;
  return {
    name: options.name ?? 'postgres',
    critical: options.critical ?? true,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    async check(): Promise<CheckOutcome> {
      const started = performance.now();
      await pool.query('select 1');
      const latency = performance.now() - started;
      const max = pool.options.max ?? 10;
      const inUse = pool.totalCount - pool.idleCount;
      const usage = `pool ${inUse}/${max} in use, ${pool.waitingCount} waiting`;
      if (latency > slowMs)
        return { status: 'degraded', message: `select 1 took ${Math.round(latency)} ms; ${usage}` };
      if ((inUse + pool.waitingCount) / max >= busyRatio) {
        return { status: 'degraded', message: `pool nearly exhausted: ${usage}` };
      }
      return { status: 'healthy', message: usage };
    },
  };
}
