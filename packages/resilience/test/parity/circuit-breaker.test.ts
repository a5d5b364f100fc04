// Circuit-breaker behaviours cockatiel, opossum and resilience4j document, each checked against our
// API. `<peer>:` tests are behaviours we share; `D<n>:` tests pin a deliberate difference and must
// match the row of the same number in the README's table.
import { DependencyError, NotFoundError } from '@steadfast/errors';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type BreakerStateChange, type CircuitBreaker, circuitBreaker } from '../../src/index.js';
import { pending } from '../support.js';

const down = () => Promise.reject(new DependencyError('down'));
const ok = () => Promise.resolve('ok');

async function fail(breaker: CircuitBreaker, n: number, error: unknown = new DependencyError('down')) {
  for (let i = 0; i < n; i++) await breaker.execute(() => Promise.reject(error)).catch(() => {});
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('parity: circuit breaker', () => {
  it('cockatiel: ConsecutiveBreaker(n) opens on the nth failure in a row and a success restarts the count', async () => {
    const breaker = circuitBreaker({ failureThreshold: 3, failureCounting: 'consecutive' });
    await fail(breaker, 2);
    await breaker.execute(ok);
    await fail(breaker, 2);
    expect(breaker.state).toBe('closed');
    await fail(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('cockatiel, opossum, resilience4j: an open circuit rejects without running the operation', async () => {
    const breaker = circuitBreaker({ failureThreshold: 1 });
    await fail(breaker, 1);
    const op = vi.fn(ok);
    await expect(breaker.execute(op)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN', retryAfter: 30 });
    expect(op).not.toHaveBeenCalled();
  });

  it('cockatiel halfOpenAfter, opossum resetTimeout, resilience4j waitDurationInOpenState: probing starts after the open duration', async () => {
    const breaker = circuitBreaker({ failureThreshold: 1, openDuration: 10_000 });
    await fail(breaker, 1);
    vi.advanceTimersByTime(9_999);
    expect(breaker.state).toBe('open');
    vi.advanceTimersByTime(1);
    expect(breaker.state).toBe('half-open');
  });

  it('cockatiel, opossum: with one probe allowed, a successful probe closes the circuit', async () => {
    const breaker = circuitBreaker({ failureThreshold: 1, halfOpenMaxCalls: 1, successThreshold: 1 });
    await fail(breaker, 1);
    vi.advanceTimersByTime(30_000);
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('cockatiel, opossum: a failed probe re-opens the circuit for another open duration', async () => {
    const breaker = circuitBreaker({ failureThreshold: 1, halfOpenMaxCalls: 1, successThreshold: 1 });
    await fail(breaker, 1);
    vi.advanceTimersByTime(30_000);
    await fail(breaker, 1);
    const { state, since, openUntil } = breaker.toJSON();
    expect({ state, openFor: Number(openUntil) - since }).toEqual({ state: 'open', openFor: 30_000 });
  });

  it('resilience4j permittedNumberOfCallsInHalfOpenState: only that many probes run, the rest are rejected', async () => {
    const breaker = circuitBreaker({ failureThreshold: 1, halfOpenMaxCalls: 2, successThreshold: 2 });
    await fail(breaker, 1);
    vi.advanceTimersByTime(30_000);
    const probes = [pending(), pending()];
    const running = probes.map((p) => breaker.execute(p.op));
    await expect(breaker.execute(ok)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    for (const p of probes) p.resolve('ok');
    await Promise.all(running);
    expect(breaker.state).toBe('closed');
  });

  it('resilience4j maxWaitDurationInHalfOpenState: a probe that never reports back re-opens the circuit', async () => {
    const breaker = circuitBreaker({ failureThreshold: 1, probeTimeout: 5_000 });
    await fail(breaker, 1);
    vi.advanceTimersByTime(30_000);
    void breaker.execute(pending().op);
    vi.advanceTimersByTime(5_000);
    expect(breaker.stateInfo).toMatchObject({ state: 'open' });
  });

  it('cockatiel SamplingBreaker, opossum errorThresholdPercentage, resilience4j failureRateThreshold: a failure rate opens it', async () => {
    const breaker = circuitBreaker({ failureThreshold: 100, failureRateThreshold: 0.5, minimumCalls: 4 });
    await breaker.execute(ok);
    await breaker.execute(ok);
    await fail(breaker, 1);
    expect(breaker.state).toBe('closed');
    await fail(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('cockatiel minimumRps, opossum volumeThreshold, resilience4j minimumNumberOfCalls: too few calls are not judged', async () => {
    const breaker = circuitBreaker({ failureThreshold: 100, failureRateThreshold: 0.5, minimumCalls: 4 });
    await fail(breaker, 3);
    expect(breaker.state).toBe('closed');
  });

  it('resilience4j slowCallDurationThreshold: a slow success counts as a failure and its result is kept', async () => {
    const breaker = circuitBreaker({ failureThreshold: 1, slowCallDuration: 1_000 });
    const slow = () => new Promise((resolve) => setTimeout(resolve, 1_000, 'late'));
    const running = breaker.execute(slow);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(running).resolves.toBe('late');
    expect(breaker.state).toBe('open');
  });

  it('opossum errorFilter, resilience4j ignoreExceptions, cockatiel handleWhen: an excluded error passes through uncounted', async () => {
    const breaker = circuitBreaker({
      failureThreshold: 1,
      isFailure: (error) => !(error instanceof RangeError),
    });
    await expect(breaker.execute(() => Promise.reject(new RangeError('bad input')))).rejects.toThrow(
      RangeError,
    );
    expect(breaker.state).toBe('closed');
  });

  it('cockatiel isolate(), resilience4j FORCED_OPEN: a forced-open circuit stays open until released', async () => {
    const breaker = circuitBreaker();
    breaker.isolate();
    vi.advanceTimersByTime(24 * 3_600_000);
    await expect(breaker.execute(ok)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    breaker.reset();
    await expect(breaker.execute(ok)).resolves.toBe('ok');
  });

  it('cockatiel isolate() handles: the circuit stays open until every handle is released', async () => {
    const breaker = circuitBreaker();
    const first = breaker.isolate();
    const second = breaker.isolate();
    first();
    first();
    await expect(breaker.execute(ok)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    second();
    await expect(breaker.execute(ok)).resolves.toBe('ok');
  });

  it('cockatiel onStateChange, opossum open/halfOpen/close events, resilience4j onStateTransition: every transition is reported once', async () => {
    const breaker = circuitBreaker({ failureThreshold: 1, halfOpenMaxCalls: 1, successThreshold: 1 });
    const events: string[] = [];
    breaker.onStateChange((e: BreakerStateChange) => events.push(`${e.from}->${e.to}`));
    await fail(breaker, 1);
    vi.advanceTimersByTime(30_000);
    await breaker.execute(ok);
    breaker.reset();
    expect(events).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });

  it('cockatiel toJSON()/initialState, opossum toJSON()/state: a saved open circuit is still open after a restart', async () => {
    const first = circuitBreaker({ failureThreshold: 1 });
    await fail(first, 1);
    const saved = JSON.parse(JSON.stringify(first.toJSON()));
    first.dispose();
    const second = circuitBreaker({ failureThreshold: 1, initialState: saved });
    await expect(second.execute(ok)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    vi.advanceTimersByTime(30_000);
    expect(second.state).toBe('half-open');
  });

  it('cockatiel: an operation may return a plain value or throw synchronously', async () => {
    const breaker = circuitBreaker({ failureThreshold: 1 });
    await expect(breaker.execute(() => 7)).resolves.toBe(7);
    await expect(
      breaker.execute(() => {
        throw new DependencyError('sync');
      }),
    ).rejects.toThrow('sync');
    expect(breaker.state).toBe('open');
  });

  it('cockatiel breaker.execute(), with halfOpenMaxQueue: a call during the half-open test waits for it, runs when it succeeds and is refused when it fails', async () => {
    const breaker = circuitBreaker({
      failureThreshold: 1,
      halfOpenMaxCalls: 1,
      successThreshold: 1,
      halfOpenMaxQueue: 10,
    });
    await fail(breaker, 1);
    vi.advanceTimersByTime(30_000);
    const test = pending();
    const testing = breaker.execute(test.op);
    const behind = vi.fn(ok);
    const waited = breaker.execute(behind);
    await Promise.resolve();
    expect(behind).not.toHaveBeenCalled();
    test.resolve('ok');
    await testing;
    await expect(waited).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');

    await fail(breaker, 1);
    vi.advanceTimersByTime(30_000);
    const failing = pending();
    const failingTest = breaker.execute(failing.op);
    const refused = vi.fn(ok);
    const behindFailure = breaker.execute(refused);
    failing.reject(new DependencyError('still down'));
    await expect(failingTest).rejects.toThrow('still down');
    await expect(behindFailure).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    expect(refused).not.toHaveBeenCalled();
  });

  it('cockatiel breaker.execute(signal), with halfOpenMaxQueue: a caller that aborts while waiting for the test does not run', async () => {
    const breaker = circuitBreaker({
      failureThreshold: 1,
      halfOpenMaxCalls: 1,
      successThreshold: 1,
      halfOpenMaxQueue: 1,
    });
    await fail(breaker, 1);
    vi.advanceTimersByTime(30_000);
    const test = pending();
    const testing = breaker.execute(test.op);
    const caller = new AbortController();
    const behind = vi.fn(ok);
    const waited = breaker.execute(behind, { signal: caller.signal });
    caller.abort(new Error('caller left'));
    test.resolve('ok');
    await testing;
    await expect(waited).rejects.toThrow('caller left');
    expect(behind).not.toHaveBeenCalled();
  });

  it('D1: by default half-open rejects callers beyond the probes at once instead of queueing them behind the probe', async () => {
    const breaker = circuitBreaker({ failureThreshold: 1, halfOpenMaxCalls: 1, successThreshold: 1 });
    await fail(breaker, 1);
    vi.advanceTimersByTime(30_000);
    const probe = pending();
    const running = breaker.execute(probe.op);
    const waiting = vi.fn(ok);
    await expect(breaker.execute(waiting)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN', retryAfter: 1 });
    probe.resolve('ok');
    await running;
    expect(waiting).not.toHaveBeenCalled();
  });

  it('D2: any failed probe re-opens the circuit, even when most probes succeeded', async () => {
    const breaker = circuitBreaker({ failureThreshold: 1, halfOpenMaxCalls: 3, successThreshold: 3 });
    await fail(breaker, 1);
    vi.advanceTimersByTime(30_000);
    await breaker.execute(ok);
    await breaker.execute(ok);
    await fail(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('D3: by default failures are counted in a time window, and a success in between does not restart the count', async () => {
    const breaker = circuitBreaker({ failureThreshold: 2, failureWindow: 10_000 });
    await fail(breaker, 1);
    await breaker.execute(ok);
    await fail(breaker, 1);
    expect(breaker.state).toBe('open');
    const spaced = circuitBreaker({ failureThreshold: 2, failureWindow: 10_000 });
    await fail(spaced, 1);
    vi.advanceTimersByTime(10_001);
    await fail(spaced, 1);
    expect(spaced.state).toBe('closed');
  });

  it('D4: thresholds are inclusive: a failure rate equal to the threshold opens the circuit', async () => {
    const breaker = circuitBreaker({ failureThreshold: 100, failureRateThreshold: 0.5, minimumCalls: 2 });
    await breaker.execute(ok);
    await fail(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('D5: client errors do not count against the dependency by default', async () => {
    const breaker = circuitBreaker({ failureThreshold: 1 });
    await fail(breaker, 3, new NotFoundError('user', '42'));
    expect(breaker.state).toBe('closed');
    await expect(breaker.execute(down)).rejects.toThrow('down');
    expect(breaker.state).toBe('open');
  });

  it('D6: the breaker arms no timer per call; a deadline is a separate timeout policy', async () => {
    const breaker = circuitBreaker();
    const running = breaker.execute(pending().op);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(24 * 3_600_000);
    let settled = false;
    void running.finally(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
  });

  it('D7: an open circuit moves to half-open on a timer, without waiting for the next call', async () => {
    const breaker = circuitBreaker({ failureThreshold: 1 });
    const events: string[] = [];
    breaker.onStateChange((e) => events.push(e.to));
    await fail(breaker, 1);
    vi.advanceTimersByTime(30_000);
    expect(events).toEqual(['open', 'half-open']);
  });
});
