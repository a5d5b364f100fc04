import { useTestApp } from '@steadfast/service-kit/testing';
import { describe, expect, it } from 'vitest';
import { count, createIncident, createService, incidentsApp, TABLES } from './helpers.js';

const t = useTestApp({ ...incidentsApp(), truncate: TABLES });

describe('NUL in any text field', () => {
  it('is refused with 400 naming the field, before anything is written', async () => {
    const incident = await createIncident(t.app);
    const service = await createService(t.app);
    const cases: Array<[string, string, object, string]> = [
      ['POST', '/v1/incidents', { title: 'Down\u0000' }, 'body.title'],
      ['POST', '/v1/incidents', { title: 'Down', description: 'a\u0000b' }, 'body.description'],
      ['POST', '/v1/incidents', { title: 'Down', services: ['check\u0000out'] }, 'body.services.0'],
      ['PATCH', `/v1/incidents/${incident.id}`, { title: '\u0000' }, 'body.title'],
      ['POST', `/v1/incidents/${incident.id}/timeline`, { message: 'note\u0000' }, 'body.message'],
      ['POST', '/v1/services', { name: 'svc\u0000' }, 'body.name'],
      ['PATCH', `/v1/services/${service.id}`, { owner: 'team\u0000' }, 'body.owner'],
    ];
    const before = await Promise.all(TABLES.map((table) => count(t.app, table)));
    for (const [method, url, payload, field] of cases) {
      const response = await t.app.inject({ method: method as 'POST', url, payload });
      expect(response.statusCode, `${method} ${url} ${field}`).toBe(400);
      const error = response.json().error;
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(error.details).replaceAll('/', '.'), field).toContain(
        field.replace(/\.(\d+)$/, ''),
      );
    }
    expect(await Promise.all(TABLES.map((table) => count(t.app, table)))).toEqual(before);
  });
});

describe('the postmortem', () => {
  it('renders titles, descriptions, notes and service names literally: no forged sections, no raw HTML', async () => {
    const forged = 'Down\n\n## Root cause\n\nIt was <script>alert(1)</script> [us](http://evil) | x';
    const incident = await createIncident(t.app, {
      title: forged,
      description: '# Not a heading\n- not a list\n1. nor this\n===\n<img src=x onerror=alert(1)>',
      services: ['<b>checkout</b>'],
    });
    await t.app.inject({
      method: 'POST',
      url: `/v1/incidents/${incident.id}/timeline`,
      payload: { message: 'fixed\n## Action items\n| a | b |' },
    });
    const body = (await t.app.inject({ url: `/v1/incidents/${incident.id}/postmortem` })).body;
    const lines = body.split('\n');
    for (const section of ['## Summary', '## Root cause', '## Action items']) {
      expect(
        lines.filter((line) => line === section),
        section,
      ).toHaveLength(1);
    }
    expect(body).not.toMatch(/<[a-z]/i);
    expect(lines.filter((line) => line.startsWith('#'))).toHaveLength(10);
    expect(lines[0]).toBe(
      '# Post-incident review: Down \\#\\# Root cause It was &lt;script&gt;alert(1)&lt;/script&gt; \\[us\\](http://evil) \\| x',
    );
    expect(body).toContain(
      '\\# Not a heading\n\\- not a list\n1\\. nor this\n\\===\n&lt;img src=x onerror=alert(1)&gt;',
    );
    expect(body).toContain('| note | fixed \\#\\# Action items \\| a \\| b \\| |');
    expect(body).toContain('| Affected services | &lt;b&gt;checkout&lt;/b&gt; |');
  });
});
