import { useTestApp } from '@steadfast/service-kit/testing';
import { assertClientSafe, describeFuzzSuite } from '@steadfast/service-kit/testing-fuzz';
import { beforeAll, describe, expect, it } from 'vitest';
import { createIncident, createService, incidentsApp } from '../helpers.js';
import { FUZZ_ENV, INCIDENTS_FUZZ } from './incidents-fuzz.js';

const t = useTestApp(incidentsApp(FUZZ_ENV));
const known: Record<string, string[]> = { id: [] };
beforeAll(async () => {
  known.id?.push((await createIncident(t.app)).id, (await createService(t.app)).id);
});

describe('incidents-api under fuzzing', () => {
  describeFuzzSuite({ ...INCIDENTS_FUZZ, test: t, mode: 'service', pathValues: known });

  // Over the socket the suite listens on: the kit's longLived hook needs a real socket (app.inject's has no
  // setTimeout, a 500 there that no client can cause).
  it('answers bad stream resumption with 400 in the envelope', async () => {
    const { port } = t.app.server.address() as { port: number };
    for (const id of ['abc', '-1', '1e3', '9'.repeat(20), '%ff', 'constructor']) {
      const response = await fetch(
        `http://127.0.0.1:${port}/v1/incidents/stream?lastEventId=${encodeURIComponent(id)}`,
      );
      const body = await response.text();
      assertClientSafe(id, response.status, body);
      expect(response.status).toBe(400);
    }
  });
});
