import { startTestApp, useTestApp } from '@steadfast/service-kit/testing';
import { sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pruneIncidentEvents } from '../src/events/event.repository.js';
import { pruneIdempotencyKeys } from '../src/incidents/idempotency.js';
import { PRUNE_BATCH, pruneAll, scheduleRuns } from '../src/pruning.js';
import { count, createIncident, incidentsApp, TABLES } from './helpers.js';

const t = useTestApp({ ...incidentsApp(), truncate: TABLES });

afterEach(() => {
  vi.useRealTimers();
});

/** `n` stored events `hoursAgo` old, straight into the log. */
async function storeEvents(incidentId: string, n: number, hoursAgo: number) {
  await sql`
    insert into incident_events (type, incident_id, payload, created_at)
    select 'incident.updated', ${incidentId}::uuid, '{}'::jsonb, now() - make_interval(hours => ${hoursAgo})
    from generate_series(1, ${n})
  `.execute(t.app.db);
}

describe('pruning the event log and idempotency keys (real PostgreSQL)', () => {
  it('deletes events past the retention window, in batches, and keeps the rest', async () => {
    const { id } = await createIncident(t.app);
    await storeEvents(id, PRUNE_BATCH + 7, 200);
    await storeEvents(id, 5, 1);
    const before = await count(t.app, 'incident_events');

    const deleted = await pruneAll({
      events: (batch) => pruneIncidentEvents(t.app.db, { retentionHours: 168, maxRows: 1_000_000 }, batch),
    });
    expect(deleted).toEqual({ events: PRUNE_BATCH + 7 });
    expect(await count(t.app, 'incident_events')).toBe(before - PRUNE_BATCH - 7);
  });

  it('keeps at most EVENT_LOG_MAX_ROWS events, the newest', async () => {
    const { id } = await createIncident(t.app);
    await storeEvents(id, 30, 1);
    const newest = await t.app.db
      .selectFrom('incident_events')
      .select('id')
      .orderBy('id', 'desc')
      .limit(10)
      .execute();
    await pruneAll({
      events: (batch) => pruneIncidentEvents(t.app.db, { retentionHours: 168, maxRows: 10 }, batch),
    });
    const kept = await t.app.db.selectFrom('incident_events').select('id').orderBy('id', 'desc').execute();
    expect(kept).toEqual(newest);
  });

  it('deletes idempotency keys past their 24 hours only', async () => {
    await sql`
      insert into idempotency_keys (key, request_hash, created_at)
      select 'old-' || i, 'h', now() - interval '25 hours' from generate_series(1, 12) as i
      union all select 'fresh', 'h', now() - interval '23 hours'
    `.execute(t.app.db);
    expect(await pruneAll({ keys: (batch) => pruneIdempotencyKeys(t.app.db, batch) })).toEqual({ keys: 12 });
    const left = await t.app.db.selectFrom('idempotency_keys').select('key').execute();
    expect(left).toEqual([{ key: 'fresh' }]);
  });
});

describe('scheduleRuns (fake timers)', () => {
  it('runs every interval, timed from the end of the last run, and stops when told', async () => {
    vi.useFakeTimers();
    const runs: number[] = [];
    let finish: (() => void) | undefined;
    const stop = scheduleRuns({
      intervalMs: 1000,
      run: () => {
        runs.push(Date.now());
        return new Promise<void>((resolve) => {
          finish = resolve;
        });
      },
      onError: () => {},
    });
    const start = Date.now();
    await vi.advanceTimersByTimeAsync(999);
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toEqual([start + 1000]);
    // A slow run: no second one starts while it is going.
    await vi.advanceTimersByTimeAsync(5000);
    expect(runs).toHaveLength(1);
    finish?.();
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toEqual([start + 1000, start + 7000]);
    stop();
    finish?.();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toHaveLength(2);
  });

  it('reports a failed run and tries again at the next interval', async () => {
    vi.useFakeTimers();
    const errors: unknown[] = [];
    let calls = 0;
    const stop = scheduleRuns({
      intervalMs: 500,
      run: async () => {
        calls++;
        if (calls === 1) throw new Error('database unavailable');
      },
      onError: (error) => errors.push(error),
    });
    await vi.advanceTimersByTimeAsync(500);
    expect(errors).toEqual([new Error('database unavailable')]);
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
    stop();
  });
});

describe('the pruning plugin', () => {
  it('prunes through the app once it is ready (its steps are the guarded repository calls)', async () => {
    const { id } = await createIncident(t.app);
    await storeEvents(id, 3, 500);
    const other = await startTestApp({
      ...incidentsApp({ PRUNE_INTERVAL_MS: '1000' }),
      database: t.database,
    });
    try {
      await other.app.ready();
      for (let i = 0; i < 200 && (await count(t.app, 'incident_events')) > 1; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await count(t.app, 'incident_events')).toBe(1);
    } finally {
      await other.close();
    }
  });
});
