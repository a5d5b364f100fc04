import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PROMETHEUS_DIR = fileURLToPath(new URL('../../../deploy/prometheus/', import.meta.url));
const PROMTOOL_TIMEOUT_MS = 180_000;

function hasPromtool(): boolean {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const available = hasPromtool();
const inCi = process.env.CI === 'true';

function promtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, {
    cwd: PROMETHEUS_DIR,
    encoding: 'utf8',
    timeout: PROMTOOL_TIMEOUT_MS,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const filesIn = (dir: string, suffix: string): string[] =>
  readdirSync(`${PROMETHEUS_DIR}${dir}`)
    .filter((f) => f.endsWith(suffix))
    .map((f) => `${dir}/${f}`);

describe('promtool', () => {
  // Locally promtool is optional; in CI a missing promtool must not pass silently.
  it.runIf(!available && inCi)('is on PATH in CI', () => {
    expect.fail(
      'promtool is not on PATH, but CI=true: install it (apt-get install -y prometheus) so the rule tests run',
    );
  });

  it.skipIf(!available)('accepts the generated rule files', () => {
    const files = filesIn('rules', '.rules.yml');
    expect(files.length).toBeGreaterThan(0);
    const { status, output } = promtool('check', 'rules', ...files);
    expect(status, output).toBe(0);
  });

  it.skipIf(!available)(
    'passes the rule unit tests in deploy/prometheus/tests',
    () => {
      const files = filesIn('tests', '.test.yml');
      expect(files.length).toBeGreaterThan(0);
      const { status, output } = promtool('test', 'rules', ...files);
      expect(status, output).toBe(0);
    },
    PROMTOOL_TIMEOUT_MS,
  );
});
