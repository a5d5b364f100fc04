import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateRules, renderRules } from '../src/rules.js';
import { parseSpecs } from '../src/specs.js';

const PROMETHEUS_DIR = new URL('../../../deploy/prometheus/', import.meta.url);
const specs = readdirSync(new URL('slos/', PROMETHEUS_DIR)).filter((f) => f.endsWith('.yaml'));

describe('committed rules in deploy/prometheus/rules', () => {
  it('exist for our services', () => {
    expect(specs).toEqual(expect.arrayContaining(['users-api.yaml', 'incidents-api.yaml']));
  });

  it.each(specs)('match what %s generates', (spec) => {
    const text = readFileSync(new URL(`slos/${spec}`, PROMETHEUS_DIR), 'utf8');
    const generated = renderRules(generateRules(parseSpecs(text, { source: spec })), [spec]);
    const committedFile = `rules/${spec.replace(/\.yaml$/, '.rules.yml')}`;
    const committed = readFileSync(new URL(committedFile, PROMETHEUS_DIR), 'utf8');
    expect(
      committed,
      `deploy/prometheus/${committedFile} is stale; run: pnpm --filter @steadfast/slo build && pnpm --filter @steadfast/slo rules`,
    ).toBe(generated);
  });
});
