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
  it('a half-open breaker never has more probes in flight than halfOpenMaxCalls, and no call starts while open', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 3 })
          .chain((max) => fc.tuple(fc.constant(max), fc.integer({ min: 1, max }))),
        fc.integer({ min: 0, max: 3 }),
        // Calls and client errors weigh double: they are what moves probe places and the queue.
        fc.array(
          fc.constantFrom(
            'call',
            'call',
            'abortedCall',
            'succeed',
            'fail',
            'clientError',
            'clientError',
            'tick',
          ),
          { maxLength: 60 },
        ),
        async ([max, successThreshold], halfOpenMaxQueue, steps) => {
          const breaker = circuitBreaker({
            failureThreshold: 1,
            halfOpenMaxCalls: max,
            successThreshold,
            halfOpenMaxQueue,
            halfOpenQueueTimeout: 15_000,
          });
          await breaker.execute(() => Promise.reject(new DependencyError('x'))).catch(() => {});
          vi.advanceTimersByTime(30_000);
          // A call joins inFlight when its operation starts, which for a queued call is after it waited.
          const inFlight: Array<(how: Outcome) => void> = [];
          let running = 0;
          let maxRunning = 0;
          let startedWhileOpen = 0;
          const settleTwice = async () => {
            await Promise.resolve();
            await Promise.resolve();
          };
          for (const step of steps) {
            if (step === 'call' || step === 'abortedCall') {
              const caller = new AbortController();
              const p = breaker.execute(
                () =>
                  new Promise<string>((resolve, reject) => {
                    const probe = breaker.state === 'half-open';
                    if (breaker.state === 'open') startedWhileOpen++;
                    if (probe) running++;
                    maxRunning = Math.max(maxRunning, running);
                    inFlight.push((how) => {
                      if (probe) running--;
                      end(resolve, reject, how);
                    });
                  }),
                { signal: caller.signal },
              );
              p.catch(() => {});
              if (step === 'abortedCall') caller.abort(new Error('caller left'));
              await settleTwice();
            } else if (step === 'tick') {
              vi.advanceTimersByTime(10_000);
              await settleTwice();
            } else {
              inFlight.shift()?.(outcomeOf(step));
              await settleTwice();
              await settleTwice();
            }
            if (breaker.state === 'half-open') {
              expect(breaker.stateInfo.state === 'half-open' && breaker.stateInfo.probes).toBeLessThanOrEqual(
                max,
              );
            }
            expect(breaker.queued).toBeLessThanOrEqual(halfOpenMaxQueue);
            if (breaker.state !== 'half-open') expect(breaker.queued).toBe(0);
          }
          expect(maxRunning).toBeLessThanOrEqual(max);
          expect(startedWhileOpen).toBe(0);
          breaker.dispose();
        },
      ),
      { numRuns: 200 },
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
