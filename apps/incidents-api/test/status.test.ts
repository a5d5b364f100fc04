import { isAppError } from '@steadfast/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IncidentStatus } from '../src/db/schema.js';
import {
  AUTOMATION_TRANSITIONS,
  assertTransition,
  canTransition,
  STATUSES,
  stampsFor,
  TRANSITIONS,
} from '../src/incidents/status.js';

const status = fc.constantFrom(...STATUSES);
const position = (s: IncidentStatus) => STATUSES.indexOf(s);

describe('the status transition table', () => {
  it('has a row for every status and names only statuses', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...STATUSES].sort());
    for (const targets of Object.values(TRANSITIONS)) {
      for (const to of targets) expect(STATUSES).toContain(to);
    }
  });

  it('agrees with the documented rule: any step forward; from resolved, only back to investigating', () => {
    fc.assert(
      fc.property(status, status, (from, to) => {
        const documented = from === 'resolved' ? to === 'investigating' : position(to) > position(from);
        expect(canTransition(from, to)).toBe(documented);
      }),
    );
  });

  it('has no self-transitions', () => {
    fc.assert(fc.property(status, (s) => !canTransition(s, s)));
  });

  it('reopens a resolved incident only to investigating', () => {
    expect(TRANSITIONS.resolved).toEqual(['investigating']);
  });

  it('lets every unresolved incident be resolved at once, and never moves back otherwise', () => {
    fc.assert(
      fc.property(
        status.filter((s) => s !== 'resolved'),
        status,
        (from, to) => {
          if (to === 'resolved') expect(canTransition(from, to)).toBe(true);
          if (position(to) < position(from)) expect(canTransition(from, to)).toBe(false);
        },
      ),
    );
  });

  it('refuses exactly the transitions the table lacks, with 422 INVALID_STATE_TRANSITION naming both ends', () => {
    fc.assert(
      fc.property(status, status, (from, to) => {
        let thrown: unknown;
        try {
          assertTransition(from, to);
        } catch (error) {
          thrown = error;
        }
        if (canTransition(from, to)) {
          expect(thrown).toBeUndefined();
        } else {
          expect(isAppError(thrown)).toBe(true);
          expect(thrown).toMatchObject({
            statusCode: 422,
            code: 'INVALID_STATE_TRANSITION',
            details: { from, to },
          });
        }
      }),
    );
  });

  it('gives automation the people’s edges plus exactly its own: monitoring back to investigating', () => {
    expect(AUTOMATION_TRANSITIONS).toEqual({ monitoring: ['investigating'] });
    fc.assert(
      fc.property(status, status, (from, to) => {
        const own = from === 'monitoring' && to === 'investigating';
        expect(canTransition(from, to, 'automation')).toBe(canTransition(from, to, 'person') || own);
        expect(canTransition(from, to)).toBe(canTransition(from, to, 'person'));
      }),
    );
    expect(() => assertTransition('monitoring', 'investigating')).toThrow();
    expect(() => assertTransition('monitoring', 'investigating', 'automation')).not.toThrow();
  });

  it('stamps no acknowledgement on any transition; resolving and reopening stamp as documented', () => {
    fc.assert(
      fc.property(status, status, (from, to) => {
        const stamps = stampsFor({ status: from }, to);
        expect(Object.keys(stamps).sort()).toEqual(['reopens', 'resolves']);
        expect(stamps.resolves).toBe(to === 'resolved');
        expect(stamps.reopens).toBe(from === 'resolved' && to !== 'resolved');
      }),
    );
  });
});
