import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { scheduleRuns } from './pruning.js';

export const DEFAULT_QUIET = {
  /** Half an hour without a firing alert: long enough for a flapping SLO alert to come back. */
  periodMs: 30 * 60_000,
  checkMs: 60_000,
};

export interface QuietPeriodPluginOptions {
  /** 0: monitoring incidents wait for a person to resolve them. */
  periodMs: number;
  checkMs: number;
  /** Guarded: resolves the quiet incidents, returning how many. */
  resolveQuiet: (periodMs: number) => Promise<number>;
}

/**
 * Resolves `monitoring` incidents once their alerts have stayed resolved for the quiet period, on the schedule the
 * pruning runs on; starts once the app is ready and stops before the pool closes.
 */
async function quietPeriod(
  app: FastifyInstance,
  { periodMs, checkMs, resolveQuiet }: QuietPeriodPluginOptions,
) {
  if (periodMs === 0) return;
  let stop: (() => void) | undefined;
  app.addHook('onReady', async () => {
    stop = scheduleRuns({
      intervalMs: checkMs,
      run: async () => {
        const resolved = await resolveQuiet(periodMs);
        if (resolved > 0) app.log.info({ resolved }, 'resolved incidents whose alerts stayed quiet');
      },
      onError: (error) =>
        app.log.warn({ err: error }, 'quiet-period check failed; retrying at the next interval'),
    });
  });
  app.addHook('preClose', async () => stop?.());
}

export const quietPeriodPlugin = fp(quietPeriod, {
  name: '@steadfast/incidents-api/quiet-period',
  fastify: '5.x',
  dependencies: ['@steadfast/service-kit/database'],
});
