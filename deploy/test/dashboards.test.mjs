import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const GRAFANA = new URL('../grafana/', import.meta.url);
const SLOS = new URL('../prometheus/slos/', import.meta.url);

const dashboards = readdirSync(GRAFANA).filter((file) => file.endsWith('.json'));
const exprsOf = (file) =>
  JSON.parse(readFileSync(new URL(file, GRAFANA), 'utf8')).panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })),
  );
const sloNames = readdirSync(SLOS)
  .filter((file) => file.endsWith('.yaml'))
  .flatMap((file) => parse(readFileSync(new URL(file, SLOS), 'utf8')).slos.map((slo) => slo.name));

// The game day (pnpm gameday) runs every panel against a live Prometheus; this catches the commonest mistake
// without one: a panel that filters on an SLO name the rules never write.
describe.each(dashboards)('dashboard %s', (file) => {
  it('filters only on SLO names the shipped specs define', () => {
    const used = exprsOf(file).flatMap(({ panel, expr }) =>
      [...expr.matchAll(/sloth_slo="([^"]+)"/g)].map((match) => ({ panel, slo: match[1] })),
    );
    expect(used.filter(({ slo }) => !sloNames.includes(slo))).toEqual([]);
  });
});

describe('Grafana in compose', () => {
  const compose = parse(readFileSync(new URL('../compose.yaml', import.meta.url), 'utf8'));
  const provisioning = (path) => parse(readFileSync(new URL(`provisioning/${path}`, GRAFANA), 'utf8'));
  const mounts = Object.fromEntries(
    compose.services.grafana.volumes.map((volume) => volume.split(':').slice(0, 2).reverse()),
  );

  it('provisions every dashboard of grafana/ from where compose mounts it', () => {
    const [provider] = provisioning('dashboards/steadfast.yml').providers;
    expect(mounts[provider.options.path]).toBe('./grafana');
    expect(mounts['/etc/grafana/provisioning']).toBe('./grafana/provisioning');
    const uids = dashboards.map((file) => JSON.parse(readFileSync(new URL(file, GRAFANA), 'utf8')).uid);
    expect(new Set(uids).size).toBe(dashboards.length);
    expect(dashboards).toEqual(
      expect.arrayContaining(['steadfast-service.json', 'steadfast-slo-overview.json']),
    );
  });

  it('reads the compose Prometheus, and starts once it is healthy', () => {
    const [datasource] = provisioning('datasources/prometheus.yml').datasources;
    expect(datasource).toMatchObject({ type: 'prometheus', isDefault: true });
    const port = compose.services.prometheus.ports[0].split(':')[1];
    expect(datasource.url).toBe(`http://prometheus:${port}`);
    expect(compose.services.grafana.depends_on.prometheus.condition).toBe('service_healthy');
  });
});
