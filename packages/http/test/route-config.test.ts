import { describe, expect, it } from 'vitest';
import { routeHooks } from '../src/index.js';

describe('routeHooks', () => {
  const a = () => undefined;
  const b = () => undefined;

  it('lists a route’s hooks whatever form they were given in', () => {
    expect(routeHooks(undefined)).toEqual([]);
    expect(routeHooks(a)).toEqual([a]);
    expect(routeHooks([a, b])).toEqual([a, b]);
  });

  it('returns a new list, so adding to it leaves the route’s own list alone', () => {
    const own = [a];
    routeHooks(own).push(b);
    expect(own).toEqual([a]);
  });
});
