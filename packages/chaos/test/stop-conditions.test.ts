import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Fault } from '../src/fault.js';
import {
  type BurnRateSource,
  checkStopWhen,
  type SloFigures,
  type StopWhen,
  watchStopConditions,
} from '../src/stop-condition.js';
import { AUTH, auditRows, chaosTestContext, createFault, until } from './helpers.js';

const context = chaosTestContext();

const WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'];

/** The service's SLO figures as a test sets them; what the service kit reads from the live SLIs. */
function figures(initial: Record<string, SloFigures> = {}) {
  const current = new Map(Object.entries(initial));
  const reads: string[] = [];
  const source: BurnRateSource = {
    slos: ['availability', 'latency'],
    windows: WINDOWS,
    read: async (slo) => {
      reads.push(slo);
      const value = current.get(slo);
      if (value instanceof Error) throw value;
      return value ?? { burnRates: {}, events: {} };
    },
  };
  return {
    source,
    reads,
    set: (slo: string, value: SloFigures | Error) => current.set(slo, value as SloFigures),
  };
}

const burning = (short: number, long: number, events = 1000): SloFigures => ({
  burnRates: { '5m': short, '1h': long },
  events: { '5m': events, '1h': events * 12 },
});

const PAGE: StopWhen = {
  slo: 'availability',
  burnRate: 14.4,
  longWindow: '1h',
  shortWindow: '5m',
  minEvents: 100,
};
const DESCRIPTION =
  'SLO availability burns its error budget at 14.4x or more over 1h and 5m (at least 100 events in 5m)';

const build = (source: BurnRateSource) => context.build({ burnRates: source, stopCheckIntervalMs: 20 });
const faultState = async (app: Awaited<ReturnType<typeof build>>, id: string) =>
  (await app.inject({ url: `/admin/chaos/faults/${id}`, headers: AUTH })).json().data;

describe('checkStopWhen', () => {
  it.each([
    ['both windows over the threshold', burning(20, 15), true, 15],
    ['only the short window over', burning(20, 10), false, 10],
    ['only the long window over', burning(10, 20), false, 10],
    ['exactly at the threshold', burning(14.4, 14.4), true, 14.4],
    ['over it, on too few events', burning(100, 100, 99), false, 100],
  ])('%s', async (_case, value, stop, measured) => {
    const { source, set } = figures();
    set('availability', value);
    expect(await checkStopWhen(PAGE, source)).toEqual({
      stop,
      description: DESCRIPTION,
      value: measured,
      threshold: 14.4,
    });
  });

  it('is met when the figures cannot be read: the experiment would run blind', async () => {
    const { source, set } = figures();
    set('availability', new Error('database unreachable'));
    expect(await checkStopWhen(PAGE, source)).toEqual({
      stop: true,
      description: `${DESCRIPTION}: could not be checked (database unreachable)`,
      value: null,
      threshold: 14.4,
    });
  });
});

describe('watchStopConditions', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads each distinct condition once per interval and ends only the faults whose condition is met', async () => {
    vi.useFakeTimers();
    const { source, reads, set } = figures({ availability: burning(1, 1), latency: burning(50, 50) });
    const latency: StopWhen = { ...PAGE, slo: 'latency' };
    const faults = [
      { id: 'a', stopWhen: PAGE },
      { id: 'b', stopWhen: PAGE },
      { id: 'c', stopWhen: latency },
      { id: 'd' },
    ] as Fault[];
    let fallback: StopWhen | undefined;
    const stopped: [readonly string[], string][] = [];
    const log = { warn: () => undefined, error: () => undefined } as never;
    const dispose = watchStopConditions({
      source,
      activeFaults: () => faults.filter((fault) => !stopped.some(([ids]) => ids.includes(fault.id))),
      defaultStopWhen: () => fallback,
      stop: async (ids, condition) => {
        stopped.push([ids, condition.slo]);
      },
      intervalMs: 1000,
      log,
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(reads).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(reads).toEqual(['availability', 'latency']);
    expect(stopped).toEqual([[['c'], 'latency']]);

    // The default applies to the fault without a condition of its own.
    fallback = latency;
    set('availability', burning(30, 30));
    await vi.advanceTimersByTimeAsync(1000);
    expect(stopped).toEqual([
      [['c'], 'latency'],
      [['a', 'b'], 'availability'],
      [['d'], 'latency'],
    ]);
    dispose();
    await vi.advanceTimersByTimeAsync(5000);
    expect(reads).toHaveLength(4);
  });
});

describe('a fault’s stopWhen', () => {
  it('ends the fault once met, and its status and the audit say which condition and with what value', async () => {
    const { source, set } = figures({ availability: burning(100, 5) });
    const app = await build(source);
    const fault = await createFault(app, { kind: 'error', target: {}, probability: 1, stopWhen: PAGE });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await faultState(app, fault.id)).state).toBe('active');
    expect((await app.inject({ url: '/work' })).statusCode).toBe(500);

    set('availability', burning(100, 16.5));
    await until(async () => (await faultState(app, fault.id)).state === 'ended');
    const verdict = { description: DESCRIPTION, value: 16.5, threshold: 14.4 };
    expect(await faultState(app, fault.id)).toMatchObject({
      stopWhen: PAGE,
      endReason: 'stopped by condition',
      endedBy: 'stop-condition',
      stopCondition: verdict,
    });
    expect((await app.inject({ url: '/work' })).statusCode).toBe(200);
    const ended = (await auditRows(context.database.db)).find((row) => row.action === 'fault.ended');
    expect(ended).toMatchObject({
      fault_id: fault.id,
      reason: 'stopped by condition',
      actor: 'stop-condition',
      details: { stopCondition: verdict },
    });
  });

  it('is the only condition: without one and without a default, a burning SLO ends nothing', async () => {
    const { source } = figures({ availability: burning(1000, 1000) });
    const app = await build(source);
    const fault = await createFault(app, { kind: 'error', target: {}, probability: 1 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await faultState(app, fault.id)).state).toBe('active');
    expect(app.chaos!.status().defaultStopWhen).toBeNull();
  });

  it.each([
    [{ ...PAGE, slo: 'nope' }, 'body.stopWhen.slo', 'must be one of availability, latency'],
    [{ ...PAGE, shortWindow: '7m' }, 'body.stopWhen.shortWindow', `must be one of ${WINDOWS.join(', ')}`],
    [
      { ...PAGE, longWindow: '5m', shortWindow: '1h' },
      'body.stopWhen.longWindow',
      'must be longer than shortWindow',
    ],
  ])('refuses %o with a 400 naming the field', async (stopWhen, field, message) => {
    const app = await build(figures().source);
    const response = await app.inject({
      method: 'POST',
      url: '/admin/chaos/faults',
      headers: AUTH,
      payload: { kind: 'error', target: {}, probability: 1, stopWhen },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details).toEqual(expect.arrayContaining([{ field, message }]));
  });

  it('is refused where the service has no live SLOs to check it against', async () => {
    const app = await context.build();
    const response = await app.inject({
      method: 'POST',
      url: '/admin/chaos/faults',
      headers: AUTH,
      payload: { kind: 'error', target: {}, probability: 1, stopWhen: PAGE },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details[0].field).toBe('body.stopWhen');
  });

  it('defaults minEvents to 0', async () => {
    const app = await build(figures().source);
    const { minEvents: _, ...withoutMin } = PAGE;
    const fault = await createFault(app, { kind: 'error', target: {}, probability: 1, stopWhen: withoutMin });
    expect((await faultState(app, fault.id)).stopWhen).toEqual({ ...PAGE, minEvents: 0 });
  });
});

describe('the service-wide default stop condition', () => {
  it('is set at run time, shared by every replica through the chaos tables, audited, and cleared', async () => {
    const { source, set } = figures({ availability: burning(1, 1), latency: burning(1, 1) });
    const a = await build(source);
    const b = await build(source);
    const put = await a.inject({
      method: 'PUT',
      url: '/admin/chaos/stop-condition',
      headers: AUTH,
      payload: PAGE,
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().data).toEqual(PAGE);
    await b.chaos!.refresh();
    expect(b.chaos!.status().defaultStopWhen).toEqual(PAGE);
    expect((await b.inject({ url: '/admin/chaos/stop-condition', headers: AUTH })).json().data).toEqual(PAGE);

    const own = await createFault(a, {
      kind: 'error',
      target: { route: '/other' },
      probability: 1,
      stopWhen: { ...PAGE, slo: 'latency' },
    });
    const plain = await createFault(a, { kind: 'error', target: {}, probability: 1 });
    set('availability', burning(20, 20));
    await until(async () => (await faultState(a, plain.id)).state === 'ended');
    expect((await faultState(a, plain.id)).stopCondition).toMatchObject({ value: 20, threshold: 14.4 });
    expect((await faultState(a, own.id)).state).toBe('active');

    const cleared = await b.inject({ method: 'DELETE', url: '/admin/chaos/stop-condition', headers: AUTH });
    expect(cleared.json().data).toBeNull();
    await a.chaos!.refresh();
    expect(a.chaos!.status().defaultStopWhen).toBeNull();
    const actions = (await auditRows(context.database.db)).map((row) => row.action);
    expect(actions.filter((action) => action.startsWith('stop-condition'))).toEqual([
      'stop-condition.set',
      'stop-condition.cleared',
    ]);
  });

  it('is refused with a 400 when it names an unknown SLO, and needs the token', async () => {
    const app = await build(figures().source);
    const bad = await app.inject({
      method: 'PUT',
      url: '/admin/chaos/stop-condition',
      headers: AUTH,
      payload: { ...PAGE, slo: 'nope' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details).toEqual([
      { field: 'body.slo', message: 'must be one of availability, latency' },
    ]);
    const extra = await app.inject({
      method: 'PUT',
      url: '/admin/chaos/stop-condition',
      headers: AUTH,
      payload: { ...PAGE, extra: 1 },
    });
    expect(extra.statusCode).toBe(400);
    const anonymous = await app.inject({ method: 'PUT', url: '/admin/chaos/stop-condition', payload: PAGE });
    expect(anonymous.statusCode).toBe(401);
  });

  it('answers 404 for a fault it never had', async () => {
    const app = await build(figures().source);
    const response = await app.inject({ url: '/admin/chaos/faults/nope', headers: AUTH });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('CHAOS_FAULT_NOT_FOUND');
  });
});
