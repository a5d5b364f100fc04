import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { alertmanagerConfig, INTERVALS, prometheusConfig } from '../gameday/stack.mjs';

const SHIPPED = new URL('../prometheus/', import.meta.url);
const shipped = async (file) => parse(await readFile(new URL(file, SHIPPED), 'utf8'));
const ports = { services: { 'users-api': 4101, 'incidents-api': 4102 }, alertmanager: 4103 };

function has(tool) {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const check = (tool, ...args) =>
  new Promise((resolve) => {
    execFile(tool, args, { timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ status: error ? (error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });

let dir;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gameday-config-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the game day runs the shipped Prometheus config', () => {
  it('changes only targets and intervals: the rule files and jobs are the shipped ones', async () => {
    const original = await shipped('prometheus.yml');
    const derived = await prometheusConfig(ports);
    expect(derived.global).toMatchObject({
      scrape_interval: INTERVALS.scrape,
      evaluation_interval: INTERVALS.evaluation,
    });
    expect(derived.rule_files.map((file) => file.split('/deploy/prometheus/')[1])).toEqual(
      original.rule_files,
    );
    expect(derived.scrape_configs.map(({ job_name, metrics_path }) => ({ job_name, metrics_path }))).toEqual(
      original.scrape_configs.map(({ job_name, metrics_path }) => ({ job_name, metrics_path })),
    );
    expect(derived.scrape_configs.flatMap((job) => job.static_configs[0].targets)).toEqual([
      '127.0.0.1:4101',
      '127.0.0.1:4102',
    ]);
  });

  it('refuses a shipped job the game day does not start', async () => {
    await expect(prometheusConfig({ ...ports, services: { 'users-api': 1 } })).rejects.toThrow(
      /incidents-api/,
    );
  });

  it.runIf(has('promtool'))('passes promtool check config', async () => {
    const file = join(dir, 'prometheus.yml');
    await writeFile(file, stringify(await prometheusConfig(ports)));
    const { status, output } = await check('promtool', 'check', 'config', file);
    expect(output).toContain('SUCCESS');
    expect(status).toBe(0);
  });
});

describe('the game day runs the shipped Alertmanager routing', () => {
  it('changes only the webhook address, its token and the group timers', async () => {
    const original = await shipped('alertmanager.yml');
    const derived = await alertmanagerConfig({
      incidentsPort: 4102,
      alertsToken: 'a-token-of-enough-length',
    });
    expect(derived.inhibit_rules).toEqual(original.inhibit_rules);
    const { group_wait, group_interval, repeat_interval, ...route } = derived.route;
    expect({ group_wait, group_interval, repeat_interval }).toEqual({
      group_wait: INTERVALS.groupWait,
      group_interval: INTERVALS.groupInterval,
      repeat_interval: INTERVALS.repeat,
    });
    const { group_wait: _w, group_interval: _i, repeat_interval: _r, ...shippedRoute } = original.route;
    expect(route).toEqual(shippedRoute);
    for (const receiver of derived.receivers) {
      for (const webhook of receiver.webhook_configs) {
        expect(webhook.url).toBe('http://127.0.0.1:4102/v1/integrations/alertmanager');
        expect(webhook.http_config.authorization.credentials).toBe('a-token-of-enough-length');
      }
    }
  });

  it.runIf(has('amtool'))('passes amtool check-config', async () => {
    const file = join(dir, 'alertmanager.yml');
    await writeFile(
      file,
      stringify(await alertmanagerConfig({ incidentsPort: 4102, alertsToken: 'x'.repeat(20) })),
    );
    const { status, output } = await check('amtool', 'check-config', file);
    expect(output).toContain('SUCCESS');
    expect(status).toBe(0);
  });
});
