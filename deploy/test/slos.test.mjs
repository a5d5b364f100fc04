import { readFileSync } from 'node:fs';
import { defaultServiceSlos, parseSpecs } from '@steadfast/slo';
import { describe, expect, it } from 'vitest';
import { PROMETHEUS_DIR } from '../rules.mjs';

const identity = ({ name, description, objective, periodDays }) => ({
  name,
  description,
  objective,
  periodDays,
});

describe('the Prometheus SLO specs', () => {
  it.each(['users-api', 'incidents-api'])('of %s are the SLOs the service records live', (service) => {
    const spec = readFileSync(`${PROMETHEUS_DIR}slos/${service}.yaml`, 'utf8');
    expect(parseSpecs(spec).map(identity)).toEqual(defaultServiceSlos(service).map(identity));
  });
});
