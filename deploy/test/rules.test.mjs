import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { generatedRules, PROMETHEUS_DIR, rulesFileOf, specFiles } from '../rules.mjs';
import { kubernetesObjects } from './repo.mjs';
import { has, inCi, run as runTool, TOOL_TIMEOUT_MS } from './tools.mjs';

const run = (tool, ...args) => runTool(tool, args, { cwd: PROMETHEUS_DIR });

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

  const ruleTests = filesIn('tests', '.test.yml');

  it('have rule unit tests in prometheus/tests', () => {
    expect(ruleTests).toEqual(
      expect.arrayContaining(['tests/users-api.test.yml', 'tests/incidents-api.test.yml']),
    );
  });

  // One promtool run per file, side by side.
  it.skipIf(!promtool).concurrent.each(ruleTests)(
    '%s passes',
    async (file) => {
      const { status, output } = await run('promtool', 'test', 'rules', file);
      expect(status, output).toBe(0);
    },
    TOOL_TIMEOUT_MS,
  );

  // Debian builds Prometheus without Kubernetes discovery, so promtool here rejects kubernetes_sd_configs as an
  // unknown field: it checks everything else of the in-cluster config (relabelling, rule files, alerting) with each
  // discovery block swapped for static targets.
  it.skipIf(!promtool)('accept the in-cluster config, kubernetes.yml, around its pod discovery', async () => {
    const config = parse(readFileSync(`${PROMETHEUS_DIR}kubernetes.yml`, 'utf8'));
    const discoveries = [...config.scrape_configs, ...config.alerting.alertmanagers];
    for (const block of discoveries) {
      expect(block.kubernetes_sd_configs.map((sd) => sd.role)).toEqual(['pod']);
      delete block.kubernetes_sd_configs;
      block.static_configs = [{ targets: ['127.0.0.1:9'] }];
    }
    config.rule_files = config.rule_files.map((glob) => `${PROMETHEUS_DIR}${glob}`);
    const dir = mkdtempSync(join(tmpdir(), 'deploy-prometheus-'));
    try {
      writeFileSync(join(dir, 'kubernetes.yml'), stringify(config));
      const { status, output } = await run('promtool', 'check', 'config', join(dir, 'kubernetes.yml'));
      expect(status, output).toBe(0);
      expect(output).toMatch(/SUCCESS: \d+ rule files found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('discover pods in the namespace the manifests use', () => {
    const config = parse(readFileSync(`${PROMETHEUS_DIR}kubernetes.yml`, 'utf8'));
    const [namespace] = kubernetesObjects().filter(({ object }) => object.kind === 'Namespace');
    const [sd] = config.scrape_configs[0].kubernetes_sd_configs;
    expect(sd.namespaces.names).toEqual([namespace.object.metadata.name]);
  });

  it.skipIf(!amtool)('accept the Alertmanager config', async () => {
    const { status, output } = await run('amtool', 'check-config', 'alertmanager.yml');
    expect(status, output).toBe(0);
  });
});

describe('every alert', () => {
  const alerts = readdirSync(`${PROMETHEUS_DIR}rules`)
    .filter((f) => f.endsWith('.rules.yml'))
    .flatMap((f) => parse(readFileSync(`${PROMETHEUS_DIR}rules/${f}`, 'utf8')).groups)
    .flatMap((group) => group.rules.filter((rule) => rule.alert))
    .map((rule) => [`${rule.alert} ${rule.labels.sloth_tier ?? ''}`.trim(), rule]);

  it.each(alerts)('%s has a tier Alertmanager routes and a runbook in deploy/runbooks', (_name, rule) => {
    expect(['page', 'ticket']).toContain(rule.labels.tier);
    const [path, anchor] = rule.annotations.runbook_url.split('#');
    expect(path).toMatch(/^deploy\/runbooks\/[a-z0-9-]+\.md$/);
    const runbook = readFileSync(join(PROMETHEUS_DIR, '../..', path), 'utf8');
    for (const section of ['## What it means', '## Confirm', '## Mitigate', '## Escalate']) {
      expect(runbook).toContain(section);
    }
    if (anchor) expect(runbook).toMatch(new RegExp(`^#+ ${anchor}$`, 'm'));
  });

  it('routes on tier, and groups the tiers of one SLO together', () => {
    const { route } = parse(readFileSync(`${PROMETHEUS_DIR}alertmanager.yml`, 'utf8'));
    expect(route.routes.map((r) => r.matchers)).toEqual([['tier="page"'], ['tier="ticket"']]);
    expect(route.group_by).toEqual(
      expect.arrayContaining(['alertname', 'sloth_service', 'sloth_slo', 'service']),
    );
  });
});
