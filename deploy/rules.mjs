// The Prometheus rule files are generated from the SLO specs in prometheus/slos/ and committed, so a review sees
// every rule that will page. `pnpm --filter @steadfast/deploy rules` regenerates them; the tests fail when a
// committed file is stale. The alerts carry their windows, threshold, objective and error ratio as annotations
// (`--window-annotations`), which an incident's postmortem needs.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateRules, parseSpecs, renderRules } from '@steadfast/slo';

export const PROMETHEUS_DIR = fileURLToPath(new URL('prometheus/', import.meta.url));

/** The SLO spec files, by file name. */
export const specFiles = () => readdirSync(`${PROMETHEUS_DIR}slos`).filter((f) => f.endsWith('.yaml'));

/** Where the rules of a spec are committed, relative to prometheus/. */
export const rulesFileOf = (spec) => `rules/${spec.replace(/\.yaml$/, '.rules.yml')}`;

/** The rule file a spec generates, exactly as it is committed. */
export function generatedRules(spec) {
  const text = readFileSync(`${PROMETHEUS_DIR}slos/${spec}`, 'utf8');
  return renderRules(generateRules(parseSpecs(text, { source: spec }), { windowAnnotations: true }), [spec]);
}

if (process.argv.includes('--write')) {
  for (const spec of specFiles()) {
    writeFileSync(`${PROMETHEUS_DIR}${rulesFileOf(spec)}`, generatedRules(spec));
    console.log(`prometheus/${rulesFileOf(spec)}`);
  }
}
