import { isValidationError } from '@steadfast/errors';
import { describe, expect, it } from 'vitest';
import { buildFault, faultProblems } from '../src/fault-input.js';
import type { CreateFaultBody } from '../src/schemas.js';

const rules = { defaultDurationSeconds: 300, maxDurationSeconds: 3600, headerTargeting: false };
const fields = (body: CreateFaultBody, r = rules) => faultProblems(body, r).map((p) => p.field);

describe('fault input', () => {
  it('defaults the duration and sets expiresAt from it', () => {
    const fault = buildFault({ kind: 'error', target: {}, probability: 0.5 }, rules, {
      actor: 'me',
      origin: 'api',
      now: 1_000_000,
    });
    expect(fault.durationSeconds).toBe(300);
    expect(fault.expiresAt.getTime() - fault.createdAt.getTime()).toBe(300_000);
    expect(fault.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects combinations a schema cannot see, naming each field', () => {
    expect(fields({ kind: 'error', target: {}, probability: 1, durationSeconds: 3601 })).toEqual([
      'body.durationSeconds',
    ]);
    expect(fields({ kind: 'latency', target: {}, probability: 1 })).toEqual(['body.latencyMs']);
    expect(fields({ kind: 'error', target: {}, probability: 1, latencyMs: 5, status: 503 })).toEqual([
      'body.latencyMs',
    ]);
    expect(fields({ kind: 'abort', target: { dependency: 'database' }, probability: 1 })).toEqual([
      'body.kind',
    ]);
    expect(fields({ kind: 'error', target: { dependency: 'db', route: '/x' }, probability: 1 })).toEqual([
      'body.target',
    ]);
    expect(fields({ kind: 'error', target: { header: true }, probability: 1 })).toEqual([
      'body.target.header',
    ]);
    expect(
      fields(
        { kind: 'error', target: { header: true }, probability: 1 },
        { ...rules, headerTargeting: true },
      ),
    ).toEqual([]);
    expect(fields({ kind: 'abort', target: {}, probability: 1, status: 500 })).toEqual(['body.status']);
  });

  it('wants ramp steps in order, within the duration, changing something', () => {
    const body: CreateFaultBody = {
      kind: 'error',
      target: {},
      probability: 0.01,
      durationSeconds: 100,
      ramp: [
        { afterSeconds: 10, probability: 0.03 },
        { afterSeconds: 5, probability: 0.07 },
        { afterSeconds: 100, probability: 0.1 },
        { afterSeconds: 50, latencyMs: 10 },
        { afterSeconds: 60 },
      ],
    };
    expect(fields(body)).toEqual([
      'body.ramp.1.afterSeconds',
      'body.ramp.2.afterSeconds',
      'body.ramp.3.afterSeconds',
      'body.ramp.3.latencyMs',
      'body.ramp.4.afterSeconds',
      'body.ramp.4',
    ]);
    try {
      buildFault(body, rules, { actor: 'me', origin: 'api', now: 0 });
      expect.unreachable();
    } catch (error) {
      expect(isValidationError(error)).toBe(true);
    }
  });
});
