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
