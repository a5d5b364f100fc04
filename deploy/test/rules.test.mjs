import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatedRules, PROMETHEUS_DIR, rulesFileOf, specFiles } from '../rules.mjs';

const TOOL_TIMEOUT_MS = 180_000;

function has(tool) {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Asynchronous: a long synchronous promtool run would block the Vitest worker past its RPC timeout.
function run(tool, ...args) {
  return new Promise((resolve) => {
    execFile(tool, args, { cwd: PROMETHEUS_DIR, timeout: TOOL_TIMEOUT_MS }, (error, stdout, stderr) =>
      resolve({ status: error ? (error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

const filesIn = (dir, suffix) =>
  readdirSync(`${PROMETHEUS_DIR}${dir}`)
    .filter((f) => f.endsWith(suffix))
    .map((f) => `${dir}/${f}`);

describe('committed rules in prometheus/rules', () => {
  it('exist for our services', () => {
    expect(specFiles()).toEqual(expect.arrayContaining(['users-api.yaml', 'incidents-api.yaml']));
  });

  it.each(specFiles())('match what %s generates', (spec) => {
    const committed = readFileSync(`${PROMETHEUS_DIR}${rulesFileOf(spec)}`, 'utf8');
    expect(
      committed,
      `deploy/prometheus/${rulesFileOf(spec)} is stale; run: pnpm build && pnpm --filter @steadfast/deploy rules`,
    ).toBe(generatedRules(spec));
  });
});

// Locally the tools are optional; in CI a missing one must not pass silently.
const inCi = process.env.CI === 'true';
const promtool = has('promtool');
const amtool = has('amtool');

describe('promtool and amtool', () => {
  it.runIf(inCi && !(promtool && amtool))('are on PATH in CI', () => {
    expect.fail(
      'promtool and amtool must be on PATH when CI=true: apt-get install prometheus prometheus-alertmanager',
    );
  });

  it.skipIf(!promtool)('accept the Prometheus config and the generated rule files', async () => {
    const config = await run('promtool', 'check', 'config', 'prometheus.yml');
    expect(config.status, config.output).toBe(0);
    const rules = await run('promtool', 'check', 'rules', ...filesIn('rules', '.rules.yml'));
    expect(rules.status, rules.output).toBe(0);
  });

  it.skipIf(!promtool)(
    'pass the rule unit tests in prometheus/tests',
    async () => {
      const files = filesIn('tests', '.test.yml');
      expect(files.length).toBeGreaterThan(0);
      const { status, output } = await run('promtool', 'test', 'rules', ...files);
      expect(status, output).toBe(0);
    },
    TOOL_TIMEOUT_MS,
  );

  it.skipIf(!amtool)('accept the Alertmanager config', async () => {
    const { status, output } = await run('amtool', 'check-config', 'alertmanager.yml');
    expect(status, output).toBe(0);
  });
});
