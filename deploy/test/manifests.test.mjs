// Static checks of what no engine runs here (no Docker, no cluster): manifests parse, probes point at the health
// plugin's routes, ports agree, grace periods cover the shutdown sequence, every app an image or compose file
// names exists and starts with `node dist/server.js`, and every dashboard panel has a query.
import { readdirSync, readFileSync } from 'node:fs';
import { HEALTH_ROUTES } from '@steadfast/health';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const here = (path) => new URL(`../${path}`, import.meta.url);
const read = (path) => readFileSync(here(path), 'utf8');
const appScripts = (name) => JSON.parse(read(`../apps/${name}/package.json`)).scripts ?? {};

const PROBES = {
  startupProbe: HEALTH_ROUTES.startup,
  readinessProbe: HEALTH_ROUTES.ready,
  livenessProbe: HEALTH_ROUTES.live,
};
// What shutdown needs beyond the delay and the drain: the shutdown handlers (pool, embedded server) and slack.
const SHUTDOWN_HANDLERS_MS = 10_000;

const deployments = readdirSync(here('k8s')).flatMap((file) =>
  parseAllDocuments(read(`k8s/${file}`)).map((doc) => ({ file, doc })),
);

describe('the Kubernetes manifests', () => {
  it.each(deployments.map(({ file, doc }, i) => [`${file}#${i}`, doc]))('%s parses', (_name, doc) => {
    expect(doc.errors).toEqual([]);
  });

  const containers = deployments
    .map(({ file, doc }) => ({ file, manifest: doc.toJS() }))
    .filter(({ manifest }) => manifest?.kind === 'Deployment')
    .flatMap(({ file, manifest }) =>
      manifest.spec.template.spec.containers.map((container) => ({ file, manifest, container })),
    );

  it('have a Deployment per service', () => {
    expect(containers.map(({ manifest }) => manifest.metadata.name).sort()).toEqual([
      'incidents-api',
      'users-api',
    ]);
  });

  it.each(containers.map((c) => [c.file, c]))(
    '%s: probes, port and grace period match the service',
    (_f, c) => {
      const { manifest, container } = c;
      const env = Object.fromEntries(container.env.filter((e) => 'value' in e).map((e) => [e.name, e.value]));
      expect(String(container.ports.find((p) => p.name === 'http')?.containerPort)).toBe(env.PORT);
      for (const [probe, path] of Object.entries(PROBES))
        expect(container[probe]?.httpGet?.path, probe).toBe(path);
      const needMs = Number(env.SHUTDOWN_DELAY_MS) + Number(env.SHUTDOWN_TIMEOUT_MS) + SHUTDOWN_HANDLERS_MS;
      expect(manifest.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(needMs);
      expect(appScripts(manifest.metadata.name).start).toBe('node dist/server.js');
    },
  );

  it.each(containers.map((c) => [c.file, c]))('%s: production sets what AUTH_MODE=jwt requires', (_f, c) => {
    const names = new Set(c.container.env.map((e) => e.name));
    const keySources = ['AUTH_JWKS_URL', 'AUTH_JWT_SECRET', 'AUTH_JWT_PUBLIC_KEY'].filter((name) =>
      names.has(name),
    );
    expect(keySources).toHaveLength(1);
    expect(names.has('AUTH_ISSUER') && names.has('AUTH_AUDIENCE')).toBe(true);
  });
});

describe('compose', () => {
  const compose = parse(read('compose.yaml'));
  const initSql = read('docker/init-databases.sql');
  const built = Object.entries(compose.services).filter(([, service]) => service.build);

  it.each(built)('%s builds a known app, maps its port and has its database', (_name, service) => {
    expect(appScripts(service.build.args.APP).start).toBe('node dist/server.js');
    expect(service.ports.some((p) => p.endsWith(`:${service.environment.PORT}`))).toBe(true);
    const database = new URL(service.environment.DATABASE_URL).pathname.slice(1);
    expect(initSql).toContain(`CREATE DATABASE ${database};`);
  });
});

describe('the Grafana dashboards', () => {
  it.each(readdirSync(here('grafana')))('%s has a uid and a query on every panel', (file) => {
    const dashboard = JSON.parse(read(`grafana/${file}`));
    expect(dashboard.uid).toBeTruthy();
    expect(dashboard.panels.length).toBeGreaterThan(0);
    for (const panel of dashboard.panels)
      expect(
        panel.targets?.every((t) => t.expr),
        panel.title,
      ).toBe(true);
  });
});
