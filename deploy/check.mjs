// Static checks of deploy/ (no Docker or Kubernetes runs here): manifests parse, probes point at the health
// plugin's routes, ports agree, grace periods cover the shutdown sequence, and every app an image or compose
// file names exists and starts with `node dist/server.js`. Run by .ci/run after the tests.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const { parseAllDocuments, parse } = createRequire(join(root, 'packages/slo/package.json'))('yaml');
const problems = [];
const check = (ok, message) => {
  if (!ok) problems.push(message);
};

const PROBES = {
  startupProbe: '/health/startup',
  readinessProbe: '/health/ready',
  livenessProbe: '/health/live',
};
const healthSource = readFileSync(join(root, 'packages/health/src/plugin.ts'), 'utf8');
for (const path of Object.values(PROBES))
  check(healthSource.includes(`'${path}'`), `health plugin has no route ${path}`);

const appScripts = (name) =>
  JSON.parse(readFileSync(join(root, 'apps', name, 'package.json'), 'utf8')).scripts ?? {};

for (const file of readdirSync(join(root, 'deploy/k8s'))) {
  const docs = parseAllDocuments(readFileSync(join(root, 'deploy/k8s', file), 'utf8'));
  for (const doc of docs) {
    check(doc.errors.length === 0, `${file}: ${doc.errors.join('; ')}`);
    const manifest = doc.toJS();
    if (manifest?.kind !== 'Deployment') continue;
    const pod = manifest.spec.template.spec;
    for (const container of pod.containers) {
      const env = Object.fromEntries(container.env.filter((e) => 'value' in e).map((e) => [e.name, e.value]));
      const port = container.ports.find((p) => p.name === 'http')?.containerPort;
      check(String(port) === env.PORT, `${file}: containerPort ${port} differs from PORT ${env.PORT}`);
      for (const [probe, path] of Object.entries(PROBES)) {
        check(container[probe]?.httpGet?.path === path, `${file}: ${probe} must GET ${path}`);
      }
      const needMs = Number(env.SHUTDOWN_DELAY_MS) + Number(env.SHUTDOWN_TIMEOUT_MS) + 10_000;
      check(
        pod.terminationGracePeriodSeconds * 1000 >= needMs,
        `${file}: terminationGracePeriodSeconds below ${needMs} ms`,
      );
      const app = manifest.metadata.name;
      check(
        appScripts(app).start === 'node dist/server.js',
        `${file}: apps/${app} has no start script running dist/server.js`,
      );
    }
  }
}

const compose = parse(readFileSync(join(root, 'deploy/compose.yaml'), 'utf8'));
const initSql = readFileSync(join(root, 'deploy/docker/init-databases.sql'), 'utf8');
for (const [name, service] of Object.entries(compose.services)) {
  if (!service.build) continue;
  check(
    appScripts(service.build.args.APP).start === 'node dist/server.js',
    `compose ${name}: unknown app ${service.build.args.APP}`,
  );
  check(
    service.ports.some((p) => p.endsWith(`:${service.environment.PORT}`)),
    `compose ${name}: port mapping misses PORT`,
  );
  const database = new URL(service.environment.DATABASE_URL).pathname.slice(1);
  check(
    initSql.includes(`CREATE DATABASE ${database};`),
    `compose ${name}: database ${database} is never created`,
  );
}

for (const file of readdirSync(join(root, 'deploy/grafana'))) {
  const dashboard = JSON.parse(readFileSync(join(root, 'deploy/grafana', file), 'utf8'));
  check(dashboard.uid && dashboard.panels?.length > 0, `${file}: a dashboard needs a uid and panels`);
  for (const panel of dashboard.panels)
    check(
      panel.targets?.every((t) => t.expr),
      `${file}: panel ${panel.title} lacks a query`,
    );
}

if (problems.length > 0) {
  console.error(`deploy check failed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log('deploy check: k8s, compose and dashboards are consistent');
