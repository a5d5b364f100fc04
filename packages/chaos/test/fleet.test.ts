import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { AUTH, auditRows, chaosTestContext, createFault, until } from './helpers.js';

const context = chaosTestContext();

async function fleet(options: { listen: boolean; pollIntervalMs: number }) {
  const replica = () =>
    context.build({
      pollIntervalMs: options.pollIntervalMs,
      ...(options.listen ? { listenUrl: context.database.url } : {}),
    });
  return Promise.all([replica(), replica()]);
}

const status = async (app: FastifyInstance) => (await app.inject({ url: '/work' })).statusCode;

describe.each([
  ['LISTEN/NOTIFY (polling once a minute)', { listen: true, pollIntervalMs: 60_000 }],
  ['polling alone', { listen: false, pollIntervalMs: 200 }],
])('two replicas on one database, through %s', (_name, options) => {
  it('see each other’s faults and the kill switch within one second', async () => {
    const [a, b] = await fleet(options);

    const created = await a.inject({
      method: 'POST',
      url: '/admin/chaos/faults',
      headers: AUTH,
      payload: { kind: 'error', target: { route: '/work' }, probability: 1, status: 503 },
    });
    expect(created.statusCode).toBe(201);
    expect(await status(a)).toBe(503);
    const seen = await until(async () => (await status(b)) === 503, 1000);
    expect(seen).toBeLessThan(1000);

    const killed = await b.inject({ method: 'DELETE', url: '/admin/chaos/faults', headers: AUTH });
    expect(killed.json().data.removed).toBe(1);
    expect(await status(b)).toBe(200);
    const stopped = await until(async () => (await status(a)) === 200, 1000);
    expect(stopped).toBeLessThan(1000);

    const disabled = await a.inject({ method: 'POST', url: '/admin/chaos/disable', headers: AUTH });
    expect(disabled.statusCode).toBe(200);
    await until(() => b.chaos!.status().enabled === false, 1000);
    expect((await auditRows(context.database.db)).map((row) => row.reason ?? row.action)).toEqual([
      'fault.created',
      'killed',
      'injection.disabled',
    ]);
  });
});

describe('expiry across replicas', () => {
  it('records one expiry however many replicas notice it', async () => {
    const [a, b] = await fleet({ listen: true, pollIntervalMs: 100 });
    await a.inject({
      method: 'POST',
      url: '/admin/chaos/faults',
      headers: AUTH,
      payload: { kind: 'error', target: {}, probability: 1, durationSeconds: 1 },
    });
    await until(() => b.chaos!.status().faults.length === 1, 1000);
    await until(
      async () => (await auditRows(context.database.db)).some((row) => row.reason === 'expired'),
      2000,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const expired = (await auditRows(context.database.db)).filter((row) => row.reason === 'expired');
    expect(expired).toHaveLength(1);
    expect(a.chaos!.status().faults).toEqual([]);
    expect(b.chaos!.status().faults).toEqual([]);
  });
});

describe('a lost LISTEN connection', () => {
  it('is opened again, and notifications flow again', async () => {
    const [a, b] = await fleet({ listen: true, pollIntervalMs: 60_000 });
    const terminated = await sql<{
      pid: number;
    }>`select pg_terminate_backend(pid) as pid from pg_stat_activity
      where datname = current_database() and query ilike 'LISTEN%'`.execute(context.database.db);
    expect(terminated.rows).toHaveLength(2);
    // Reconnection waits 2 s; then the replica reloads and listens again.
    await new Promise((resolve) => setTimeout(resolve, 2300));
    await createFault(a, { kind: 'error', target: { route: '/work' }, probability: 1 });
    await until(async () => (await status(b)) === 500, 1000);
  });
});
