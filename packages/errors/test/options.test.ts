import { describe, expect, it } from 'vitest';
import {
  bool,
  durationMs,
  fn,
  InvalidOptionError,
  integerAtLeast,
  numberInRange,
  oneOf,
} from '../src/index.js';

describe('option validation', () => {
  it('returns valid values unchanged', () => {
    expect(integerAtLeast('n', 3, 1)).toBe(3);
    expect(durationMs('d', 0, { allowZero: true })).toBe(0);
    expect(numberInRange('r', 0.5, 0, 1)).toBe(0.5);
    expect(oneOf('s', 'a', ['a', 'b'])).toBe('a');
    expect(bool('b', false)).toBe(false);
    const f = () => 1;
    expect(fn('f', f)).toBe(f);
  });

  it.each([
    [
      () => integerAtLeast('maxConcurrent', 1.5, 1),
      'Invalid option maxConcurrent: 1.5 (expected an integer >= 1)',
    ],
    [() => durationMs('duration', 0), 'Invalid option duration: 0 (expected a finite number of ms > 0)'],
    [
      () => durationMs('delay', -1, { allowZero: true }),
      'Invalid option delay: -1 (expected a finite number of ms >= 0)',
    ],
    [
      () => numberInRange('ratio', Number.NaN, 0, 1),
      'Invalid option ratio: null (expected a number from 0 to 1)',
    ],
    [
      () => oneOf('strategy', 'eager', ['cooperative', 'aggressive']),
      'Invalid option strategy: "eager" (expected one of "cooperative", "aggressive")',
    ],
    [() => bool('enabled', 'yes'), 'Invalid option enabled: "yes" (expected true or false)'],
    [() => fn('onError', 3), 'Invalid option onError: 3 (expected a function)'],
  ])('names the option, the rejected value and what was expected', (call, message) => {
    expect(call).toThrow(InvalidOptionError);
    expect(call).toThrow(message);
  });

  it('describes values JSON cannot show', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => integerAtLeast('n', circular, 1)).toThrow('Invalid option n: [object Object]');
    expect(() => integerAtLeast('n', () => 1, 1)).toThrow('Invalid option n: a function');
    expect(() => integerAtLeast('n', undefined, 1)).toThrow('Invalid option n: undefined');
  });
});
