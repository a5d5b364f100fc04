import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dir = new URL('./', import.meta.url);
const ids = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].map((m) => m[1]).sort();

describe('parity: the README difference table', () => {
  it('lists exactly the deliberate differences the parity tests pin, by number', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const tests = readdirSync(dir)
      .filter((name) => name.endsWith('.test.ts'))
      .map((name) => readFileSync(new URL(name, dir), 'utf8'))
      .join('\n');
    const inTests = ids(tests, /it\('(D\d+):/g);
    expect(inTests.length).toBeGreaterThan(0);
    expect(ids(readme, /^\| (D\d+) +\|/gm)).toEqual(inTests);
  });
});
