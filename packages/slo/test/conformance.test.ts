import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { runCli } from '../src/cli.js';
import type { RuleFile } from '../src/rules.js';

// Our own fixtures, one per spec shape Sloth and OpenSLO users write, run through the CLI and promtool.
const FIXTURES = fileURLToPath(new URL('./fixtures/conformance/', import.meta.url));
const WINDOWS = fileURLToPath(new URL('./fixtures/alert-windows-7d.yaml', import.meta.url));
const PROMTOOL_TESTS = fileURLToPath(new URL('./fixtures/promtool/', import.meta.url));
const TOOL_TIMEOUT_MS = 60_000;

function has(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const promtool = has('promtool');

// Asynchronous, so a slow promtool does not block the Vitest worker.
function run(...args: string[]): Promise<{ status: number; output: string }> {
  return new Promise((resolve) => {
    execFile('promtool', args, { timeout: TOOL_TIMEOUT_MS }, (error, stdout, stderr) =>
      resolve({ status: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'slo-conformance-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

const shapes = [
  'openslo-list.yaml',
  'openslo-v1.yaml',
  'openslo-v1alpha.yaml',
  'sloth-crd.yaml',
  'sloth-v1.yaml',
];

describe('conformance: every spec shape', () => {
  it('is found in the fixture directory', async () => {
    expect((await readdir(FIXTURES)).sort()).toEqual(shapes);
  });

  it('generates one rule file per spec file with -i dir -o dir', async () => {
    const { code, stderr } = await cli('generate', '-i', FIXTURES, '-o', join(out, 'rules'));
    expect([code, stderr]).toEqual([0, '']);
    expect((await readdir(join(out, 'rules'))).sort()).toEqual(shapes);
  });

  it.runIf(process.env.CI === 'true' && !promtool)('has promtool on PATH in CI', () => {
    expect.fail('promtool must be on PATH when CI=true: apt-get install prometheus');
  });

  it.skipIf(!promtool).each(shapes)('%s passes promtool check rules', async (shape) => {
    const { status, output } = await run('check', 'rules', join(out, 'rules', shape));
    expect(output).toMatch(/SUCCESS: \d+ rules found/);
    expect(status).toBe(0);
  });

  it.skipIf(!promtool)('passes promtool as a PrometheusRule, with extra labels and only alerts', async () => {
    const { code, stdout } = await cli(
      'generate',
      join(FIXTURES, 'sloth-crd.yaml'),
      '--output',
      'prometheus-operator',
      '--extra-labels',
      'env=prod',
      '--disable-recordings',
    );
    expect(code).toBe(0);
    const object = parse(stdout) as { kind: string; metadata: object; spec: RuleFile };
    expect(object.kind).toBe('PrometheusRule');
    expect(object.metadata).toEqual({
      name: 'apiserver-slos',
      namespace: 'monitoring',
      labels: { 'app.kubernetes.io/component': 'SLO', 'app.kubernetes.io/managed-by': 'steadfast-slo' },
    });
    expect(object.spec.groups.map((g) => g.name)).toEqual([
      'sloth-slo-alerts-k8s-apiserver-requests-availability',
      'sloth-slo-alerts-k8s-apiserver-requests-latency',
    ]);
    expect(object.spec.groups[0]!.rules[0]!.labels.env).toBe('prod');
    const file = join(out, 'operator.yml');
    await writeFile(file, stringify(object.spec));
    expect((await run('check', 'rules', file)).status).toBe(0);
  });

  it('writes one PrometheusRule per CRD and one per file of other specs, as Sloth does', async () => {
    const { code, stdout } = await cli(
      'generate',
      join(FIXTURES, 'sloth-crd.yaml'),
      join(FIXTURES, 'sloth-v1.yaml'),
      '--output',
      'prometheus-operator',
    );
    expect(code).toBe(0);
    const objects = parseAllDocuments(stdout).map(
      (d) => d.toJS() as { metadata: { name: string }; spec: RuleFile },
    );
    expect(objects.map((o) => [o.metadata.name, o.spec.groups.length])).toEqual([
      ['apiserver-slos', 8],
      ['sloth-v1', 9],
    ]);
  });

  it.skipIf(!promtool)('passes promtool with an AlertWindows spec for 7 days', async () => {
    const file = join(out, 'seven-days.yml');
    const { code } = await cli(
      'generate',
      join(FIXTURES, 'sloth-v1.yaml'),
      '--period',
      '7d',
      '--alert-windows',
      WINDOWS,
      '-o',
      file,
    );
    expect(code).toBe(0);
    const text = await readFile(file, 'utf8');
    // 8 % of 7 days in 1 hour: a burn rate of 13.44.
    expect(text).toContain('> (13.44 * 0.001)');
    expect((await run('check', 'rules', file)).status).toBe(0);
  });

  it.skipIf(!promtool)(
    'records the error ratios of threshold and time-slice SLIs that promtool expects',
    async () => {
      const dir = join(out, 'promtool');
      await mkdir(dir);
      const { code } = await cli(
        'generate',
        join(PROMTOOL_TESTS, 'ratio-slis.yaml'),
        '-o',
        join(dir, 'ratio-slis.rules.yml'),
      );
      expect(code).toBe(0);
      await writeFile(
        join(dir, 'ratio-slis.test.yml'),
        await readFile(join(PROMTOOL_TESTS, 'ratio-slis.test.yml')),
      );
      const { status, output } = await run('test', 'rules', join(dir, 'ratio-slis.test.yml'));
      expect(output).toContain('SUCCESS');
      expect(status).toBe(0);
    },
  );
});
