import {
  ConflictError,
  DependencyError,
  NotFoundError,
  TimeoutError,
  ValidationError,
} from '@steadfast/errors';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type BreakerStateChange,
  CircuitBreaker,
  type CircuitBreakerOptions,
  CircuitOpenError,
  circuitBreaker,
  DEFAULT_FAILURE_WINDOW_MS,
  InvalidOptionError,
  isCircuitOpenError,
} from '../src/index.js';
import { pending } from './support.js';

const fail =
  (error: unknown = new DependencyError('down')) =>
  () =>
    Promise.reject(error);
const ok = () => Promise.resolve('ok');

async function failTimes(breaker: CircuitBreaker, n: number, error?: unknown): Promise<void> {
  for (let i = 0; i < n; i++) await expect(breaker.execute(fail(error))).rejects.toBeDefined();
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('circuit breaker: closed', () => {
  it('opens on 5 failures within 60 s (threshold inclusive)', async () => {
    const breaker = circuitBreaker();
    const events: BreakerStateChange[] = [];
    breaker.onStateChange((e) => events.push(e));
    for (let i = 0; i < 4; i++) {
      await expect(breaker.execute(fail())).rejects.toThrow('down');
      vi.advanceTimersByTime(14_000);
    }
    expect(breaker.state).toBe('closed');
    await expect(breaker.execute(fail())).rejects.toThrow('down');
    expect(breaker.state).toBe('open');
    expect(events).toEqual([{ from: 'closed', to: 'open', reason: 'failure-threshold', at: 56_000 }]);
  });

  it('stays closed after 4 failures, 61 s, then 1 failure', async () => {
    const breaker = circuitBreaker();
    await failTimes(breaker, 4);
    vi.advanceTimersByTime(61_000);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
    expect(breaker.toJSON().failures).toBe(1);
  });

  it('passes results and errors through unchanged', async () => {
    const breaker = circuitBreaker();
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    const error = new DependencyError('x');
    await expect(breaker.execute(fail(error))).rejects.toBe(error);
  });

  it('accepts an operation that returns a plain value or throws synchronously', async () => {
    const breaker = circuitBreaker({ failureThreshold: 1 });
    await expect(breaker.execute((() => 5) as never)).resolves.toBe(5);
    const error = new DependencyError('sync');
    await expect(
      breaker.execute(() => {
        throw error;
      }),
    ).rejects.toBe(error);
    expect(breaker.state).toBe('open');
  });

  it('hands the caller signal and attempt 1 to the operation', async () => {
    const controller = new AbortController();
    const seen = await circuitBreaker().execute(async (ctx) => ctx, { signal: controller.signal });
    expect(seen.signal).toBe(controller.signal);
    expect(seen.attempt).toBe(1);
    const defaults = await circuitBreaker().execute(async (ctx) => ctx);
    expect(defaults.signal.aborted).toBe(false);
  });

  it.each([
    ['ValidationError', new ValidationError('bad')],
    ['NotFoundError', new NotFoundError()],
    ['ConflictError', new ConflictError('taken')],
    ['a plain error with statusCode 404', Object.assign(new Error('nope'), { statusCode: 404 })],
    ['a plain error with status 400', Object.assign(new Error('nope'), { status: 400 })],
    ['CircuitOpenError from an inner breaker', new CircuitOpenError(5)],
    ['an AbortError from a caller that gave up', new DOMException('aborted', 'AbortError')],
  ])('never opens on client errors: %s', async (_label, error) => {
    const breaker = circuitBreaker({ failureThreshold: 2 });
    await failTimes(breaker, 10, error);
    expect(breaker.state).toBe('closed');
  });

  it.each([
    ['TimeoutError', new TimeoutError()],
    ['a plain Error', new Error('boom')],
    ['a string', 'boom'],
    ['statusCode 500', Object.assign(new Error('x'), { statusCode: 500 })],
  ])('counts server failures: %s', async (_label, error) => {
    const breaker = circuitBreaker({ failureThreshold: 2 });
    await failTimes(breaker, 2, error);
    expect(breaker.state).toBe('open');
  });

  it('uses a custom failure predicate', async () => {
    const breaker = circuitBreaker({ failureThreshold: 1, isFailure: (e) => e === 'count me' });
    await failTimes(breaker, 3, 'ignore me');
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1, 'count me');
    expect(breaker.state).toBe('open');
  });

  it('opens on the failure rate once the minimum number of calls is reached', async () => {
    const breaker = circuitBreaker({ failureThreshold: 100, failureRateThreshold: 0.5, minimumCalls: 4 });
    await breaker.execute(ok);
    await failTimes(breaker, 1);
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1); // 2 of 4 = 50 %
    expect(breaker.state).toBe('open');
  });

  it('does not judge the rate below the minimum number of calls, and forgets old calls', async () => {
    const breaker = circuitBreaker({ failureThreshold: 100, failureRateThreshold: 0.5, minimumCalls: 4 });
    await failTimes(breaker, 3);
    expect(breaker.state).toBe('closed');
    vi.advanceTimersByTime(61_000);
    await breaker.execute(ok);
    await breaker.execute(ok);
    await breaker.execute(ok);
    await expect(breaker.execute(fail(new ValidationError('client')))).rejects.toBeDefined();
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
  });

  it('counts slow calls as failures when configured, and still returns their result', async () => {
    const breaker = circuitBreaker({ failureThreshold: 2, slowCallDuration: 1_000 });
    const slow = async () => {
      vi.advanceTimersByTime(1_500);
      return 'late';
    };
    await expect(breaker.execute(slow)).resolves.toBe('late');
    expect(breaker.state).toBe('closed');
    await expect(breaker.execute(slow)).resolves.toBe('late');
    expect(breaker.state).toBe('open');
  });

  // test/parity covers the default window counting and the success that restarts the count.
  it("failureCounting 'consecutive': failures in a row count however far apart", async () => {
    const breaker = circuitBreaker({ failureThreshold: 3, failureCounting: 'consecutive' });
    await failTimes(breaker, 2);
    vi.advanceTimersByTime(10 * DEFAULT_FAILURE_WINDOW_MS);
    expect(breaker.toJSON().failures).toBe(2);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it("failureCounting 'consecutive': a client error neither counts nor restarts the count", async () => {
    const breaker = circuitBreaker({ failureThreshold: 2, failureCounting: 'consecutive' });
    await failTimes(breaker, 1);
    await failTimes(breaker, 1, new NotFoundError('user', '42'));
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('does not count fast calls with slowCallDuration set', async () => {
    const breaker = circuitBreaker({ failureThreshold: 1, slowCallDuration: 1_000 });
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed');
  });
});

describe('circuit breaker: open', () => {
  it('rejects without calling the operation, with CircuitOpenError and retryAfter', async () => {
    const breaker = circuitBreaker();
    await failTimes(breaker, 5);
    vi.advanceTimersByTime(10_500);
    const op = vi.fn(ok);
    const error = await breaker.execute(op).catch((e: unknown) => e);
    expect(op).not.toHaveBeenCalled();
    expect(isCircuitOpenError(error)).toBe(true);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toMatchObject({ code: 'CIRCUIT_OPEN', statusCode: 503, retryAfter: 20 });
  });

  it('reports retryAfter of at least 1 s', async () => {
    const breaker = circuitBreaker({ openDuration: 100 });
    await failTimes(breaker, 5);
    await expect(breaker.execute(ok)).rejects.toMatchObject({ retryAfter: 1 });
  });

  it('moves to half-open after the open duration', async () => {
    const breaker = circuitBreaker();
    const events: string[] = [];
    breaker.onStateChange((e) => events.push(`${e.from}->${e.to}:${e.reason}`));
    await failTimes(breaker, 5);
    vi.advanceTimersByTime(29_999);
    expect(breaker.state).toBe('open');
    vi.advanceTimersByTime(1);
    expect(breaker.state).toBe('half-open');
    expect(events).toEqual(['closed->open:failure-threshold', 'open->half-open:open-elapsed']);
  });

  it('probes on the next call even without its timer (after dispose)', async () => {
    const breaker = circuitBreaker();
    await failTimes(breaker, 5);
    breaker.dispose();
    vi.advanceTimersByTime(30_000);
    expect(breaker.state).toBe('open');
    await breaker.execute(ok);
    expect(breaker.state).toBe('half-open');
  });

  it('ignores late failures of calls that started before it opened', async () => {
    const breaker = circuitBreaker({ failureThreshold: 2 });
    const late = pending();
    const inFlight = breaker.execute(late.op);
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('open');
    vi.advanceTimersByTime(20_000);
    late.reject(new DependencyError('late'));
    await expect(inFlight).rejects.toThrow('late');
    expect(breaker.toJSON().consecutiveOpens).toBe(1);
    vi.advanceTimersByTime(10_000);
    expect(breaker.state).toBe('half-open');
  });

  it('grows the open duration on repeated re-opening, capped, and resets it on close', async () => {
    const breaker = circuitBreaker({
      failureThreshold: 1,
      openDuration: 1_000,
      openDurationMultiplier: 2,
      maxOpenDuration: 3_000,
    });
    await failTimes(breaker, 1);
    vi.advanceTimersByTime(1_000);
    await failTimes(breaker, 1); // probe fails: 2 s
    vi.advanceTimersByTime(1_999);
    expect(breaker.state).toBe('open');
    vi.advanceTimersByTime(1);
    await failTimes(breaker, 1); // 4 s, capped to 3 s
    vi.advanceTimersByTime(3_000);
    expect(breaker.state).toBe('half-open');
    await breaker.execute(ok);
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    vi.advanceTimersByTime(1_000);
    expect(breaker.state).toBe('half-open');
  });
});

describe('circuit breaker: half-open', () => {
  async function halfOpen(breaker = circuitBreaker()) {
    await failTimes(breaker, 5);
    vi.advanceTimersByTime(30_000);
    expect(breaker.state).toBe('half-open');
    return breaker;
  }

  it('lets exactly 3 probes through and rejects a 4th concurrent call', async () => {
    const breaker = await halfOpen();
    const probes = [pending(), pending(), pending()];
    const running = probes.map((p) => breaker.execute(p.op));
    const fourth = vi.fn(ok);
    await expect(breaker.execute(fourth)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN', retryAfter: 1 });
    expect(fourth).not.toHaveBeenCalled();
    for (const p of probes) p.resolve('fine');
    await Promise.all(running);
  });

  it('closes after 2 successful probes', async () => {
    const breaker = await halfOpen();
    await breaker.execute(ok);
    expect(breaker.state).toBe('half-open');
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed');
    expect(breaker.toJSON().failures).toBe(0);
  });

  it('re-opens on a probe failure', async () => {
    const breaker = await halfOpen();
    const events: string[] = [];
    breaker.onStateChange((e) => events.push(`${e.to}:${e.reason}`));
    await breaker.execute(ok);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(events).toEqual(['open:probe-failure']);
  });

  it('gives the place of a probe that ended in a client error to the next caller', async () => {
    const breaker = await halfOpen(circuitBreaker({ halfOpenMaxCalls: 2 }));
    await failTimes(breaker, 3, new ValidationError('bad'));
    expect(breaker.state).toBe('half-open');
    await breaker.execute(ok);
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed');
  });

  it('re-opens when a probe hangs past probeTimeout', async () => {
    const breaker = await halfOpen(circuitBreaker({ probeTimeout: 5_000 }));
    const hung = pending();
    const running = breaker.execute(hung.op);
    vi.advanceTimersByTime(4_999);
    expect(breaker.state).toBe('half-open');
    vi.advanceTimersByTime(1);
    expect(breaker.state).toBe('open');
    // Its late success belongs to the old half-open period and closes nothing.
    hung.resolve('late');
    await expect(running).resolves.toBe('late');
    expect(breaker.state).toBe('open');
  });

  it('restarts the probe clock when a probe reports back', async () => {
    const breaker = await halfOpen(circuitBreaker({ probeTimeout: 5_000, successThreshold: 3 }));
    const a = pending();
    const b = pending();
    const ra = breaker.execute(a.op);
    const rb = breaker.execute(b.op);
    vi.advanceTimersByTime(4_000);
    a.resolve('a');
    await ra;
    vi.advanceTimersByTime(4_000);
    expect(breaker.state).toBe('half-open');
    vi.advanceTimersByTime(1_000);
    expect(breaker.state).toBe('open');
    b.resolve('b');
    await rb;
  });

  it('counts a slow probe as a failure', async () => {
    const breaker = await halfOpen(circuitBreaker({ slowCallDuration: 100 }));
    await breaker.execute(async () => {
      vi.advanceTimersByTime(200);
      return 1;
    });
    expect(breaker.state).toBe('open');
  });
});

describe('circuit breaker: half-open queue (halfOpenMaxQueue)', () => {
  async function queueing(options: CircuitBreakerOptions = {}) {
    const breaker = circuitBreaker({
      failureThreshold: 1,
      halfOpenMaxCalls: 1,
      successThreshold: 1,
      halfOpenMaxQueue: 2,
      ...options,
    });
    await failTimes(breaker, 1);
    vi.advanceTimersByTime(30_000);
    const probe = pending();
    const probing = breaker.execute(probe.op);
    return { breaker, probe, probing };
  }

  it('runs the waiting calls once the probes close the circuit', async () => {
    const { breaker, probe, probing } = await queueing();
    const waiting = [vi.fn(ok), vi.fn(ok)];
    const results = waiting.map((op) => breaker.execute(op));
    expect(breaker.queued).toBe(2);
    await Promise.resolve();
    expect(waiting[0]).not.toHaveBeenCalled();
    probe.resolve('probe');
    await expect(probing).resolves.toBe('probe');
    await expect(Promise.all(results)).resolves.toEqual(['ok', 'ok']);
    expect(breaker.state).toBe('closed');
    expect(breaker.queued).toBe(0);
  });

  it('rejects the waiting calls with CircuitOpenError, unrun, when a probe re-opens it', async () => {
    const { breaker, probe, probing } = await queueing({ openDuration: 10_000 });
    const waiting = vi.fn(ok);
    const result = breaker.execute(waiting);
    probe.reject(new DependencyError('still down'));
    await expect(probing).rejects.toThrow('still down');
    await expect(result).rejects.toMatchObject({ code: 'CIRCUIT_OPEN', retryAfter: 10 });
    expect(waiting).not.toHaveBeenCalled();
    expect(breaker.queued).toBe(0);
  });

  it('rejects the waiting calls when a hung probe re-opens it after probeTimeout', async () => {
    const { breaker, probing } = await queueing({ probeTimeout: 500, halfOpenQueueTimeout: 5_000 });
    probing.catch(() => {});
    const result = breaker.execute(ok);
    vi.advanceTimersByTime(500);
    await expect(result).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    expect(breaker.state).toBe('open');
  });

  it('rejects a call beyond the queue at once', async () => {
    const { breaker, probe, probing } = await queueing({ halfOpenMaxQueue: 1 });
    const first = breaker.execute(ok);
    const beyond = vi.fn(ok);
    await expect(breaker.execute(beyond)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN', retryAfter: 1 });
    expect(beyond).not.toHaveBeenCalled();
    probe.resolve('probe');
    await probing;
    await expect(first).resolves.toBe('ok');
  });

  it('rejects a call that waits longer than halfOpenQueueTimeout, and frees its place', async () => {
    const { breaker, probe, probing } = await queueing({ halfOpenQueueTimeout: 1_000, halfOpenMaxQueue: 1 });
    const waiting = vi.fn(ok);
    const result = breaker.execute(waiting);
    vi.advanceTimersByTime(999);
    expect(breaker.queued).toBe(1);
    vi.advanceTimersByTime(1);
    await expect(result).rejects.toMatchObject({ code: 'CIRCUIT_OPEN', retryAfter: 1 });
    expect(breaker.queued).toBe(0);
    const next = breaker.execute(ok);
    probe.resolve('probe');
    await probing;
    await expect(next).resolves.toBe('ok');
    expect(waiting).not.toHaveBeenCalled();
  });

  it("leaves the queue with the signal's reason when the caller aborts, before or while waiting", async () => {
    const { breaker, probe, probing } = await queueing();
    const before = new AbortController();
    before.abort(new Error('gone already'));
    await expect(breaker.execute(ok, { signal: before.signal })).rejects.toThrow('gone already');
    const during = new AbortController();
    const waiting = vi.fn(ok);
    const result = breaker.execute(waiting, { signal: during.signal });
    during.abort(new Error('client left'));
    await expect(result).rejects.toThrow('client left');
    expect(breaker.queued).toBe(0);
    probe.resolve('probe');
    await probing;
    expect(waiting).not.toHaveBeenCalled();
  });

  it('gives the place of a probe that ended in a client error to the longest-waiting call, as a probe', async () => {
    const { breaker, probe, probing } = await queueing();
    const second = pending();
    const secondProbe = breaker.execute(second.op);
    const third = breaker.execute(ok);
    probe.reject(new ValidationError('bad'));
    await expect(probing).rejects.toThrow('bad');
    await Promise.resolve();
    expect(breaker.state).toBe('half-open');
    expect(breaker.stateInfo).toMatchObject({ probes: 1, successes: 0 });
    expect(breaker.queued).toBe(1);
    second.resolve('second');
    await expect(secondProbe).resolves.toBe('second');
    await expect(third).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('runs the waiting calls on reset() and rejects them on isolate()', async () => {
    const a = await queueing();
    const released = a.breaker.execute(ok);
    a.breaker.reset();
    await expect(released).resolves.toBe('ok');
    a.probe.resolve('late');
    await a.probing;

    const b = await queueing();
    const refused = b.breaker.execute(ok);
    b.breaker.isolate();
    await expect(refused).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    b.probe.resolve('late');
    await b.probing;
  });

  it('a waiting call granted a closed circuit that opened again before it ran is admitted afresh', async () => {
    const { breaker, probe, probing } = await queueing();
    const waiting = vi.fn(ok);
    const result = breaker.execute(waiting);
    // The grant reaches the waiter on a later microtask; a listener forces the circuit open before it.
    breaker.onStateChange((e) => {
      if (e.to === 'closed') breaker.isolate();
    });
    probe.resolve('probe');
    await probing;
    await expect(result).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    expect(waiting).not.toHaveBeenCalled();
  });

  it('dispose() rejects the waiting calls', async () => {
    const { breaker, probe, probing } = await queueing();
    const result = breaker.execute(ok);
    breaker.dispose();
    await expect(result).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    probe.resolve('probe');
    await probing;
  });

  it('queues nothing by default', async () => {
    const { breaker, probe, probing } = await queueing({ halfOpenMaxQueue: undefined });
    await expect(breaker.execute(ok)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN', retryAfter: 1 });
    expect(breaker.queued).toBe(0);
    probe.resolve('probe');
    await probing;
  });
});

describe('circuit breaker: manual control and saved state', () => {
  it('isolate() holds it open until reset()', async () => {
    const breaker = circuitBreaker();
    breaker.isolate();
    expect(breaker.state).toBe('open');
    vi.advanceTimersByTime(10 * 60_000);
    await expect(breaker.execute(ok)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN', retryAfter: 30 });
    breaker.reset();
    expect(breaker.state).toBe('closed');
    await expect(breaker.execute(ok)).resolves.toBe('ok');
  });

  it('reset() forgets failures', async () => {
    const breaker = circuitBreaker();
    await failTimes(breaker, 4);
    breaker.reset();
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
  });

  it('reset() on a closed breaker emits nothing and keeps the results of calls in flight', async () => {
    const breaker = circuitBreaker({ failureThreshold: 2 });
    const events: BreakerStateChange[] = [];
    breaker.onStateChange((e) => events.push(e));
    const late = pending();
    const inFlight = breaker.execute(late.op);
    vi.advanceTimersByTime(1_000);
    breaker.reset();
    expect(events).toEqual([]);
    expect(breaker.toJSON()).toMatchObject({ state: 'closed', since: 0 });
    late.reject(new DependencyError('late'));
    await expect(inFlight).rejects.toThrow('late');
    expect(breaker.toJSON().failures).toBe(1);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(events).toEqual([{ from: 'closed', to: 'open', reason: 'failure-threshold', at: 1_000 }]);
  });

  it('isolate() handles: the last release closes it once; a handle from before a reset() releases nothing later', async () => {
    const breaker = circuitBreaker();
    const events: string[] = [];
    breaker.onStateChange((e) => events.push(`${e.from}->${e.to}:${e.reason}`));
    const stale = breaker.isolate();
    breaker.reset();
    const held = breaker.isolate();
    stale();
    expect(breaker.state).toBe('open');
    held();
    held();
    expect(breaker.state).toBe('closed');
    expect(events).toEqual([
      'closed->open:isolated',
      'open->closed:reset',
      'closed->open:isolated',
      'open->closed:released',
    ]);
  });

  it('a second isolate() emits nothing and keeps the time it was isolated', async () => {
    const breaker = circuitBreaker();
    const events: BreakerStateChange[] = [];
    breaker.onStateChange((e) => events.push(e));
    breaker.isolate();
    vi.advanceTimersByTime(1_000);
    breaker.isolate();
    expect(events).toEqual([{ from: 'closed', to: 'open', reason: 'isolated', at: 0 }]);
    expect(breaker.toJSON()).toMatchObject({ state: 'open', since: 0, isolated: true, openUntil: null });
  });

  it('isolate() on a breaker opened by failures is one change: it stops the wait for half-open', async () => {
    const breaker = circuitBreaker({ failureThreshold: 1 });
    const events: string[] = [];
    breaker.onStateChange((e) => events.push(`${e.from}->${e.to}:${e.reason}`));
    await failTimes(breaker, 1);
    breaker.isolate();
    breaker.isolate();
    vi.advanceTimersByTime(60 * 60_000);
    expect(breaker.toJSON()).toMatchObject({ state: 'open', isolated: true, openUntil: null });
    expect(events).toEqual(['closed->open:failure-threshold', 'open->open:isolated']);
  });

  it('onStateChange returns a dispose function', async () => {
    const breaker = circuitBreaker({ failureThreshold: 1 });
    const listener = vi.fn();
    const dispose = breaker.onStateChange(listener);
    dispose();
    dispose();
    await failTimes(breaker, 1);
    expect(listener).not.toHaveBeenCalled();
  });

  it('a throwing listener does not break the breaker', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const breaker = circuitBreaker({ failureThreshold: 1 });
    breaker.onStateChange(() => {
      throw new Error('listener bug');
    });
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });

  it('toJSON gives state, failures and timestamps', async () => {
    const breaker = circuitBreaker();
    await failTimes(breaker, 2);
    vi.advanceTimersByTime(1_000);
    await failTimes(breaker, 1);
    expect(breaker.toJSON()).toEqual({
      state: 'closed',
      since: 0,
      failures: 3,
      failureTimes: [0, 0, 1_000],
      consecutiveOpens: 0,
    });
    await failTimes(breaker, 2);
    expect(breaker.toJSON()).toMatchObject({
      state: 'open',
      since: 1_000,
      openUntil: 31_000,
      isolated: false,
    });
    vi.advanceTimersByTime(30_000);
    expect(breaker.toJSON()).toMatchObject({ state: 'half-open', since: 31_000, probes: 0, successes: 0 });
    expect(breaker.stateInfo).toEqual({ state: 'half-open', halfOpenedAt: 31_000, probes: 0, successes: 0 });
  });

  it('restores an open breaker from toJSON and probes when its time is up', async () => {
    const first = circuitBreaker();
    await failTimes(first, 5);
    const saved = JSON.parse(JSON.stringify(first));
    vi.advanceTimersByTime(10_000);
    const restored = circuitBreaker({ initialState: saved });
    expect(restored.state).toBe('open');
    await expect(restored.execute(ok)).rejects.toMatchObject({ retryAfter: 20 });
    vi.advanceTimersByTime(20_000);
    expect(restored.state).toBe('half-open');
  });

  it('restores closed failures, isolation and half-open', async () => {
    const first = circuitBreaker();
    await failTimes(first, 4);
    const closed = circuitBreaker({ initialState: first.toJSON() });
    await failTimes(closed, 1);
    expect(closed.state).toBe('open');

    first.isolate();
    const isolated = circuitBreaker({ initialState: JSON.parse(JSON.stringify(first.toJSON())) });
    vi.advanceTimersByTime(60 * 60_000);
    expect(isolated.state).toBe('open');
    expect(isolated.toJSON()).toMatchObject({ isolated: true, openUntil: null });

    const halfOpen = circuitBreaker({
      initialState: { state: 'half-open', since: 5, failures: 0, failureTimes: [], consecutiveOpens: 1 },
    });
    expect(halfOpen.stateInfo).toEqual({ state: 'half-open', halfOpenedAt: 5, probes: 0, successes: 0 });
  });

  it('restores an open breaker whose time already ran out', async () => {
    const breaker = circuitBreaker({
      initialState: {
        state: 'open',
        since: 0,
        openUntil: 0,
        failures: 0,
        failureTimes: [],
        consecutiveOpens: 1,
      },
    });
    vi.advanceTimersByTime(0);
    expect(breaker.state).toBe('half-open');
  });
});

describe('circuit breaker options', () => {
  it.each([
    ['failureThreshold', { failureThreshold: 0 }, '0'],
    ['failureThreshold', { failureThreshold: 2.5 }, '2.5'],
    ['failureWindow', { failureWindow: -1 }, '-1'],
    ['failureWindow', { failureWindow: Number.NaN }, 'null'],
    ['failureCounting', { failureCounting: 'rolling' }, 'rolling'],
    ['failureRateThreshold', { failureRateThreshold: 0 }, '0'],
    ['failureRateThreshold', { failureRateThreshold: 1.5 }, '1.5'],
    ['minimumCalls', { minimumCalls: 0 }, '0'],
    ['slowCallDuration', { slowCallDuration: 0 }, '0'],
    ['openDuration', { openDuration: 0 }, '0'],
    ['openDurationMultiplier', { openDurationMultiplier: 0.5 }, '0.5'],
    ['maxOpenDuration', { maxOpenDuration: 10 }, '10'],
    ['halfOpenMaxCalls', { halfOpenMaxCalls: 0 }, '0'],
    ['successThreshold', { successThreshold: 0 }, '0'],
    ['successThreshold', { successThreshold: 4 }, '4'],
    ['probeTimeout', { probeTimeout: 0 }, '0'],
    ['halfOpenMaxQueue', { halfOpenMaxQueue: -1 }, '-1'],
    ['halfOpenMaxQueue', { halfOpenMaxQueue: 1.5 }, '1.5'],
    ['halfOpenQueueTimeout', { halfOpenQueueTimeout: 0 }, '0'],
    ['isFailure', { isFailure: 'yes' }, '"yes"'],
    ['clock', { clock: 1 }, '1'],
    ['initialState', { initialState: { state: 'ajar' } }, 'ajar'],
    ['initialState', { initialState: { state: 'open', since: 'x', failureTimes: [] } }, 'open'],
    [
      'initialState.openUntil',
      { initialState: { state: 'open', since: 0, failureTimes: [], openUntil: 'soon' } },
      'soon',
    ],
    [
      'initialState.consecutiveOpens',
      { initialState: { state: 'closed', since: 0, failureTimes: [], consecutiveOpens: -1 } },
      '-1',
    ],
  ])('rejects a bad %s', (option, options, shown) => {
    const create = () => new CircuitBreaker(options as never);
    expect(create).toThrow(InvalidOptionError);
    expect(create).toThrow(`Invalid option ${option}: `);
    expect(create).toThrow(shown);
  });
});
