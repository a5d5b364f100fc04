import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globMatches, type MatchMeter } from '../src/targeting.js';

/** The textbook dynamic program: obviously right, quadratic, and the reference for the matcher. */
function reference(pattern: string, value: string): boolean {
  let row = Array.from({ length: value.length + 1 }, (_, j) => j === 0);
  for (const char of pattern) {
    const next = Array.from({ length: value.length + 1 }, () => false);
    next[0] = char === '*' && (row[0] ?? false);
    for (let j = 1; j <= value.length; j++) {
      next[j] =
        char === '*'
          ? (row[j] ?? false) || (next[j - 1] ?? false)
          : (row[j - 1] ?? false) && value[j - 1] === char;
    }
    row = next;
  }
  return row[value.length] ?? false;
}

// A small alphabet makes matches and near-misses common; the star makes wildcards common.
const text = (chars: string[]) =>
  fc.array(fc.constantFrom(...chars), { maxLength: 24 }).map((a) => a.join(''));

describe('glob matching', () => {
  it('agrees with the reference on any pattern and value (property)', () => {
    fc.assert(
      fc.property(text(['a', 'b', '*', '/']), text(['a', 'b', '/']), (pattern, value) => {
        expect(globMatches(pattern, value)).toBe(reference(pattern, value));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees when the value is built to match (property)', () => {
    fc.assert(
      fc.property(
        fc.array(text(['a', 'b', '/']), { minLength: 1, maxLength: 6 }),
        text(['a', 'b']),
        (parts, fill) => {
          const pattern = parts.join('*');
          const value = parts.join(fill);
          expect(globMatches(pattern, value)).toBe(true);
          expect(reference(pattern, value)).toBe(true);
        },
      ),
    );
  });

  it('never does more than value × pattern comparisons (property)', () => {
    fc.assert(
      fc.property(text(['a', 'b', '*']), text(['a', 'b']), (pattern, value) => {
        const meter: MatchMeter = { steps: 0 };
        globMatches(pattern, value, meter);
        expect(meter.steps).toBeLessThanOrEqual((value.length + 1) * (pattern.length + 1));
      }),
    );
  });

  it('decides the backtracking pathological case in a bounded number of steps', () => {
    // `^.*a.*a…a.*b$` against a run of a's is exponential for a backtracking regular expression.
    const pattern = `${'*a'.repeat(40)}*b`;
    const value = 'a'.repeat(20_000);
    const meter: MatchMeter = { steps: 0 };
    expect(globMatches(pattern, value, meter)).toBe(false);
    expect(meter.steps).toBeLessThanOrEqual(value.length + pattern.length);
    expect(globMatches(pattern, `${value}b`)).toBe(true);
  });
});
