#!/usr/bin/env node
// `pnpm gameday [--scenario <name>] [--all] [--report <file>]`: runs the SRE loop end to end on loopback (see
// README "Game day") and writes a Markdown report. Exits 0 when every criterion of every scenario passed.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SCENARIOS } from './scenarios.mjs';
import { INTERVALS, startStack } from './stack.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    scenario: { type: 'string', multiple: true },
    all: { type: 'boolean', default: false },
    report: { type: 'string', default: join(HERE, '..', '..', '.gameday', 'report.md') },
    keep: { type: 'boolean', default: false },
  },
});
const wanted = values.all
  ? SCENARIOS
  : SCENARIOS.filter((s) => (values.scenario ?? ['error-burst']).includes(s.name));
if (wanted.length === 0) {
  console.error(`unknown scenario; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

let current;
const interrupt = async (signal) => {
  console.error(`gameday: ${signal}, stopping everything it started`);
  await current?.stop();
  process.exit(130);
};
process.once('SIGINT', interrupt);
process.once('SIGTERM', interrupt);

const seconds = (ms) => (ms / 1000).toFixed(1);
const results = [];
for (const scenario of wanted) {
  const workDir = await mkdtemp(join(tmpdir(), `gameday-${scenario.name}-`));
  const steps = [];
  const criteria = [];
  let failure;
  const started = Date.now();
  const step = (name, detail = '') => {
    const at = Date.now();
    steps.push({ name, detail, at });
    console.log(`gameday: [${scenario.name}] +${seconds(at - started)} s ${name} ${detail}`);
    return at;
  };
  const criterion = (name, pass, detail) => {
    criteria.push({ name, pass, detail });
    console.log(`gameday: [${scenario.name}] ${pass ? 'PASS' : 'FAIL'} ${name} (${detail})`);
  };
  try {
    current = await startStack({ workDir, serviceEnv: scenario.serviceEnv });
    step('stack up', 'users-api, incidents-api, Prometheus, Alertmanager');
    await scenario.run(current, { step, criterion, dashboardsDir: join(HERE, '..', 'grafana') });
  } catch (error) {
    failure = error;
    console.error(`gameday: [${scenario.name}] stopped: ${error.message}`);
  } finally {
    await current?.stop();
    current = undefined;
    if (!values.keep) await rm(workDir, { recursive: true, force: true });
  }
  results.push({ scenario, steps, criteria, failure, started });
}

const lines = [
  '# Game day report',
  '',
  `${new Date().toISOString()}; Prometheus and Alertmanager from Debian, the shipped rules, routes and inhibit rules;`,
  `scrape and evaluation every ${INTERVALS.scrape}, group_wait ${INTERVALS.groupWait}, group_interval ${INTERVALS.groupInterval}.`,
];
for (const { scenario, steps, criteria, failure, started } of results) {
  lines.push(
    '',
    `## ${scenario.title} (\`${scenario.name}\`)`,
    '',
    '| step | at | since previous | detail |',
    '| --- | ---: | ---: | --- |',
  );
  steps.forEach((entry, index) => {
    const previous = index === 0 ? started : steps[index - 1].at;
    lines.push(
      `| ${entry.name} | +${seconds(entry.at - started)} s | ${seconds(entry.at - previous)} s | ${entry.detail.replaceAll('|', '\\|')} |`,
    );
  });
  lines.push('', '| criterion | result | measured |', '| --- | --- | --- |');
  for (const entry of criteria)
    lines.push(
      `| ${entry.name} | ${entry.pass ? 'pass' : '**fail**'} | ${String(entry.detail).replaceAll('|', '\\|')} |`,
    );
  if (failure) lines.push('', `Stopped early: ${failure.message.split('\n')[0]}`);
}
const report = resolve(values.report);
await import('node:fs/promises').then(({ mkdir }) => mkdir(dirname(report), { recursive: true }));
await writeFile(report, `${lines.join('\n')}\n`);
console.log(`gameday: report written to ${report}`);
const passed = results.every((result) => !result.failure && result.criteria.every((entry) => entry.pass));
process.exit(passed ? 0 : 1);
