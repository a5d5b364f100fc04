import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CheckResult, type CheckStatus, runCheck } from '../src/check.js';
import { readiness } from '../src/readiness.js';

describe('runCheck', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('treats a check that returns nothing as healthy', async () => {
    const result = await runCheck({ name: 'db', critical: true, check: async () => undefined });
    expect(result).toMatchObject({ name: 'db', status: 'healthy', critical: true, message: null });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('passes through a degraded outcome and its message', async () => {
    const result = await runCheck({
      name: 'db',
      critical: false,
      check: () => ({ status: 'degraded', message: 'slow' }),
    });
    expect(result).toMatchObject({ status: 'degraded', message: 'slow', critical: false });
  });

  it('reports a throwing check as unhealthy with the reason', async () => {
    const sync = await runCheck({
      name: 'a',
      critical: true,
      check: () => {
        throw new Error('connection refused');
      },
    });
    expect(sync).toMatchObject({ status: 'unhealthy', message: 'connection refused' });
    const rejected = await runCheck({ name: 'b', critical: true, check: () => Promise.reject('nope') });
    expect(rejected).toMatchObject({ status: 'unhealthy', message: 'nope' });
  });

  it('reports a check that ignores its deadline as unhealthy at the deadline, and aborts its signal', async () => {
    let signal: AbortSignal | undefined;
    const pending = runCheck(
      {
        name: 'hung',
        critical: true,
        timeoutMs: 300,
        check: (s) => {
          signal = s;
          return new Promise(() => undefined);
        },
      },
      2000,
    );
    await vi.advanceTimersByTimeAsync(299);
    expect(signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const result = await pending;
    expect(result).toMatchObject({ status: 'unhealthy', message: 'timed out after 300 ms' });
    expect(signal?.aborted).toBe(true);
  });

  it('uses the default timeout when the check has none', async () => {
    const pending = runCheck(
      { name: 'hung', critical: false, check: () => new Promise(() => undefined) },
      2000,
    );
    await vi.advanceTimersByTimeAsync(2000);
    expect((await pending).message).toBe('timed out after 2000 ms');
  });

  it('rejects an unknown status', async () => {
    const result = await runCheck({
      name: 'x',
      critical: true,
      check: () => ({ status: 'fine' as CheckStatus }),
    });
    expect(result).toMatchObject({ status: 'unhealthy', message: 'check returned an unknown status "fine"' });
  });
});

const resultArb = fc.record<CheckResult>({
  name: fc.string(),
  status: fc.constantFrom<CheckStatus>('healthy', 'degraded', 'unhealthy'),
  critical: fc.boolean(),
  latencyMs: fc.nat(),
  message: fc.constant(null),
});

describe('readiness', () => {
  it('follows its rules for every combination of checks and instance state', () => {
    fc.assert(
      fc.property(
        fc.array(resultArb, { maxLength: 8 }),
        fc.boolean(),
        fc.boolean(),
        fc.nat(3),
        (results, started, stopping, open) => {
          const value = readiness(results, {
            startupComplete: started,
            shuttingDown: stopping,
            openBreakers: open,
          });
          const criticalDown = results.some((r) => r.critical && r.status === 'unhealthy');
          if (!started || stopping || criticalDown) return value === 'not_ready';
          const anyNotHealthy = results.some((r) => r.status !== 'healthy');
          return value === (anyNotHealthy || open > 0 ? 'degraded' : 'ready');
        },
      ),
    );
  });

  it('is ready with no checks once started', () => {
    expect(readiness([], { startupComplete: true, shuttingDown: false })).toBe('ready');
    expect(readiness([], { startupComplete: false, shuttingDown: false })).toBe('not_ready');
  });
});
