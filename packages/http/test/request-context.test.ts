import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { requestIdFrom, traceContextFrom } from '../src/request-context.js';

const raw = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request ids', () => {
  it('honours a valid incoming X-Request-ID', () => {
    expect(requestIdFrom(raw({ 'x-request-id': 'abc-123_x.y:z' }))).toBe('abc-123_x.y:z');
  });

  it.each(['', 'has space', 'x'.repeat(129), '<script>', 'a\nb'])('replaces %j with a UUID', (value) => {
    expect(requestIdFrom(raw({ 'x-request-id': value }))).toMatch(UUID);
  });

  it('generates a UUID when absent', () => {
    expect(requestIdFrom(raw({}))).toMatch(UUID);
  });
});

describe('W3C trace context', () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const parent = '00f067aa0ba902b7';

  it('continues a valid traceparent with a new span', () => {
    const trace = traceContextFrom(`00-${traceId}-${parent}-01`);
    expect(trace.traceId).toBe(traceId);
    expect(trace.parentSpanId).toBe(parent);
    expect(trace.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(trace.spanId).not.toBe(parent);
    expect(trace.flags).toBe('01');
  });

  it('accepts a future version with extra fields', () => {
    expect(traceContextFrom(`01-${traceId}-${parent}-00-extra`).traceId).toBe(traceId);
  });

  it.each([
    undefined,
    'garbage',
    `00-${'0'.repeat(32)}-${parent}-01`,
    `00-${traceId}-${'0'.repeat(16)}-01`,
    `ff-${traceId}-${parent}-01`,
    `00-${traceId}-${parent}-01-extra`,
    `00-${traceId.toUpperCase()}-${parent}-01`,
  ])('starts a new trace for %j', (header) => {
    const trace = traceContextFrom(header);
    expect(trace.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(trace.traceId).not.toBe(traceId);
    expect(trace.parentSpanId).toBeUndefined();
    expect(trace.flags).toBe('01');
  });

  it('draws new trace and span ids that never repeat, across many refills of the random pool', () => {
    const ids = new Set<string>();
    // 24 bytes a new trace, 4 KiB a refill: 2,000 traces use the pool up about 12 times.
    for (let n = 0; n < 2000; n++) {
      const trace = traceContextFrom(undefined);
      expect(trace.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(trace.spanId).toMatch(/^[0-9a-f]{16}$/);
      ids.add(trace.traceId).add(trace.spanId);
    }
    expect(ids.size).toBe(4000);
  });
});
