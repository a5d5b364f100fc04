import { DependencyError, TimeoutError } from '@steadfast/errors';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type BreakerState, bulkhead, circuitBreaker, type Jitter, retry } from '../src/index.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

type Outcome = 'ok' | 'fail' | 'client';

/** Ends a call the way a step asks: with a result, a dependency failure or a client error. */
function end(resolve: (value: string) => void, reject: (error: unknown) => void, how: Outcome): void {
  if (how === 'ok') resolve('ok');
  else reject(how === 'fail' ? new DependencyError('x') : Object.assign(new Error(), { statusCode: 400 }));
}

const outcomeOf = (step: string): Outcome =>
  step === 'succeed' ? 'ok' : step === 'fail' ? 'fail' : 'client';

describe('properties', () => {
  it('a half-open breaker never has more probes in flight than halfOpenMaxCalls', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.constantFrom('call', 'succeed', 'fail', 'clientError', 'tick'), { maxLength: 60 }),
        async (max, steps) => {
          const breaker = circuitBreaker({ failureThreshold: 1, halfOpenMaxCalls: max, successThreshold: 1 });
          await breaker.execute(() => Promise.reject(new DependencyError('x'))).catch(() => {});
          vi.advanceTimersByTime(30_000);
          const inFlight: Array<{ settle: (how: Outcome) => void; halfOpen: boolean }> = [];
          let running = 0;
          let maxRunning = 0;
          for (const step of steps) {
            if (step === 'call') {
              const halfOpen = breaker.state === 'half-open';
              let settle!: (how: Outcome) => void;
              const p = breaker.execute(
                () =>
                  new Promise<string>((resolve, reject) => {
                    if (halfOpen) running++;
                    maxRunning = Math.max(maxRunning, running);
                    settle = (how) => {
                      if (halfOpen) running--;
                      end(resolve, reject, how);
                    };
                  }),
              );
              p.catch(() => {});
              await Promise.resolve();
              if (settle !== undefined) inFlight.push({ settle, halfOpen });
            } else if (step === 'tick') {
              vi.advanceTimersByTime(10_000);
            } else {
              const call = inFlight.shift();
              call?.settle(outcomeOf(step));
              await Promise.resolve();
              await Promise.resolve();
            }
            if (breaker.state === 'half-open') {
              expect(breaker.stateInfo.state === 'half-open' && breaker.stateInfo.probes).toBeLessThanOrEqual(
                max,
              );
            }
          }
          expect(maxRunning).toBeLessThanOrEqual(max);
          breaker.dispose();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a breaker never emits a transition to the state it is already in', async () => {
    type Step = 'call' | 'succeed' | 'fail' | 'clientError' | 'tick' | 'reset' | 'isolate';
    // The state as the breaker represents it: an isolated open circuit differs from one that will probe.
    const key = (s: BreakerState) => (s.state === 'open' ? `open(isolated=${s.isolated})` : s.state);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        fc.array(
          fc.constantFrom<Step>('call', 'succeed', 'fail', 'clientError', 'tick', 'reset', 'isolate'),
          { maxLength: 80 },
        ),
        fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 10 }),
        async (failureThreshold, halfOpenMaxCalls, byRate, steps, ticks) => {
          const breaker = circuitBreaker({
            failureThreshold,
            halfOpenMaxCalls,
            successThreshold: Math.min(2, halfOpenMaxCalls),
            openDuration: 10_000,
            probeTimeout: 15_000,
            ...(byRate ? { failureRateThreshold: 0.5, minimumCalls: 2 } : {}),
          });
          let previous = breaker.stateInfo;
          // The emitter turns a throwing listener into a warning, so the listener records and the test asserts.
          const wrong: string[] = [];
          breaker.onStateChange((e) => {
            const next = breaker.stateInfo;
            if (e.from !== previous.state || e.to !== next.state || key(next) === key(previous)) {
              wrong.push(`${e.from} -> ${e.to} (${e.reason}) while ${key(previous)} -> ${key(next)}`);
            }
            previous = next;
          });
          const inFlight: Array<(how: Outcome) => void> = [];
          let tick = 0;
          for (const step of steps) {
            if (step === 'call') {
              breaker
                .execute(
                  () =>
                    new Promise<string>((resolve, reject) => {
                      inFlight.push((how) => end(resolve, reject, how));
                    }),
                )
                .catch(() => {});
            } else if (step === 'tick') {
              vi.advanceTimersByTime(ticks[tick++ % ticks.length]!);
            } else if (step === 'reset') {
              breaker.reset();
            } else if (step === 'isolate') {
              breaker.isolate();
            } else {
              inFlight.shift()?.(outcomeOf(step));
            }
            await Promise.resolve();
            await Promise.resolve();
          }
          expect(wrong).toEqual([]);
          breaker.dispose();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('retry never exceeds maxAttempts nor waits longer than maxDelay', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 0, max: 3_000 }),
        fc.constantFrom<Jitter>('none', 'full', 'equal', 'decorrelated', 0, 0.5, 1),
        fc.double({ min: 0, max: 0.999_999, noNaN: true }),
        async (maxAttempts, initialDelay, extra, jitter, random) => {
          const maxDelay = initialDelay + extra;
          const policy = retry({ maxAttempts, initialDelay, maxDelay, jitter, random: () => random });
          const delays: number[] = [];
          policy.onRetry((e) => delays.push(e.delay));
          let calls = 0;
          const running = policy
            .execute(async () => {
              calls++;
              throw new TimeoutError();
            })
            .catch(() => {});
          await vi.runAllTimersAsync();
          await running;
          expect(calls).toBe(maxAttempts);
          expect(delays).toHaveLength(maxAttempts - 1);
          for (const d of delays) {
            expect(d).toBeGreaterThanOrEqual(0);
            expect(d).toBeLessThanOrEqual(maxDelay);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a bulkhead never runs more than maxConcurrent at once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 30 }),
        async (maxConcurrent, maxQueue, durations) => {
          const policy = bulkhead({ maxConcurrent, maxQueue, queueTimeout: 40 });
          let running = 0;
          let peak = 0;
          const calls = durations.map((ms) =>
            policy
              .execute(async () => {
                running++;
                peak = Math.max(peak, running);
                await new Promise((resolve) => setTimeout(resolve, ms));
                running--;
              })
              .catch(() => {}),
          );
          await vi.runAllTimersAsync();
          await Promise.all(calls);
          expect(peak).toBeLessThanOrEqual(maxConcurrent);
          expect(policy.active).toBe(0);
          expect(policy.queued).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});
