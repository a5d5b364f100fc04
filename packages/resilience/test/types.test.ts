import { describe, expectTypeOf, it } from 'vitest';
import { circuitBreaker, fallback, retry, timeout, wrap } from '../src/index.js';

describe('result types', () => {
  it('flow through wrap, widened by a fallback', () => {
    const p = wrap(fallback('cached' as const), retry(), circuitBreaker(), timeout(100));
    expectTypeOf(p.execute(async () => 42)).resolves.toEqualTypeOf<number | 'cached'>();
    const q = wrap(retry(), circuitBreaker());
    expectTypeOf(q.execute(async () => 42)).resolves.toEqualTypeOf<number>();
    expectTypeOf(circuitBreaker().execute(async () => 'x')).resolves.toEqualTypeOf<string>();
  });
});
