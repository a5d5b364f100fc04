// biome-ignore-all lint/suspicious/noExplicitAny: tests edit any corner of these documents.
import { stringify } from 'yaml';

/** Minimal valid spec documents; each test changes the corner it is about. */
const slothSlo = () => ({
  name: 'availability',
  objective: 99.9,
  sli: {
    events: {
      error_query: 'sum(rate(errors_total[{{.window}}]))',
      total_query: 'sum(rate(requests_total[{{ .window }}]))',
    },
  },
  alerting: { name: 'HighErrorRate' },
});
export const sloth = (change: (spec: Record<string, any>) => void = () => {}): string => {
  const spec: Record<string, any> = { version: 'prometheus/v1', service: 'svc', slos: [slothSlo()] };
  change(spec);
  return stringify(spec);
};

export const openSlo = (change: (doc: Record<string, any>) => void = () => {}): string => {
  const doc: Record<string, any> = {
    apiVersion: 'openslo/v1',
    kind: 'SLO',
    metadata: { name: 'availability' },
    spec: {
      service: 'svc',
      indicator: {
        spec: {
          ratioMetric: {
            bad: { metricSource: { spec: { query: 'sum(rate(errors_total[{{.window}}]))' } } },
            total: { metricSource: { spec: { query: 'sum(rate(requests_total[{{.window}}]))' } } },
          },
        },
      },
      timeWindow: [{ duration: '30d', isRolling: true }],
      budgetingMethod: 'Occurrences',
      objectives: [{ target: 0.999 }],
    },
  };
  change(doc);
  return stringify(doc);
};
