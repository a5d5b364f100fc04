import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export const DEFAULT_PRUNING = {
  /** A week of stream events: far more than any client's reconnect gap. */
  retentionHours: 168,
  maxRows: 100_000,
  intervalMs: 10 * 60_000,
  /** Thirty days of chaos announcements: a postmortem written within the SLO period still finds them. */
  experimentRetentionHours: 720,
};

/** Rows deleted per statement: each delete is short and holds few locks, whatever the backlog. */
export const PRUNE_BATCH = 5000;

/** Deletes up to `batch` due rows of one table, returning how many it deleted. */
export type PruneStep = (batch: number) => Promise<number>;

/** Runs each step until it deletes fewer than a batch; returns the rows deleted per step. */
export async function pruneAll(steps: Record<string, PruneStep>): Promise<Record<string, number>> {
  const deleted: Record<string, number> = {};
  for (const [name, step] of Object.entries(steps)) {
    let total = 0;
    for (;;) {
      const n = await step(PRUNE_BATCH);
      total += n;
      if (n < PRUNE_BATCH) break;
    }
    deleted[name] = total;
  }
  return deleted;
}

export interface Schedule {
  intervalMs: number;
  run: () => Promise<unknown>;
  onError: (error: unknown) => void;
}

/**
 * Runs `run` every `intervalMs`, the next run timed from the end of the last (runs never overlap, however slow).
 * Returns the function that stops it.
 */
export function scheduleRuns({ intervalMs, run, onError }: Schedule): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const next = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      run().then(next, (error: unknown) => {
        onError(error);
        next();
      });
    }, intervalMs);
    timer.unref();
  };
  next();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

export interface PruningPluginOptions {
  intervalMs: number;
  /** Guarded steps, by table: an outage opens the breaker here too and the next run tries again. */
  steps: Record<string, PruneStep>;
}

/** Prunes on a schedule once the app is ready; stops before the pool closes. */
async function pruning(app: FastifyInstance, { intervalMs, steps }: PruningPluginOptions) {
  let stop: (() => void) | undefined;
  app.addHook('onReady', async () => {
    stop = scheduleRuns({
      intervalMs,
      run: async () => {
        const deleted = await pruneAll(steps);
        app.log.debug({ deleted }, 'pruned the event log, experiments and expired idempotency keys');
      },
      onError: (error) => app.log.warn({ err: error }, 'pruning failed; retrying at the next interval'),
    });
  });
  app.addHook('preClose', async () => stop?.());
}

export const pruningPlugin = fp(pruning, {
  name: '@steadfast/incidents-api/pruning',
  fastify: '5.x',
  dependencies: ['@steadfast/service-kit/database'],
});
