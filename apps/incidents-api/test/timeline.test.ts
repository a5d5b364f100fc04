import { useTestApp } from '@steadfast/service-kit/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { countNotes } from '../src/incidents/incident.repository.js';
import { createIncident, incidentsApp, TABLES } from './helpers.js';

// Caps small enough to reach in a test; the query timeout is the kit's default.
const t = useTestApp({
  ...incidentsApp({ TIMELINE_EMBED_LIMIT: '3', NOTES_PER_INCIDENT_MAX: '4' }),
  truncate: TABLES,
});

const note = (id: string, message: string) =>
  t.app.inject({ method: 'POST', url: `/v1/incidents/${id}/timeline`, payload: { message } });

const notesOf = (id: string) => countNotes(t.app.db, id);

/** Every page of a timeline, following meta.nextCursor. */
async function walk(id: string, limit: number) {
  const pages: Array<Array<{ id: number; message: string }>> = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? `limit=${limit}` : `limit=${limit}&cursor=${cursor}`;
    const response = await t.app.inject({ url: `/v1/incidents/${id}/timeline?${query}` });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.meta.count).toBe(body.data.length);
    pages.push(body.data);
    cursor = body.meta.nextCursor;
  } while (cursor !== null);
  return pages;
}

describe('GET /v1/incidents/:id/timeline', () => {
  it('pages the timeline oldest first by cursor, without repeats or gaps', async () => {
    const incident = await createIncident(t.app);
    for (const message of ['one', 'two', 'three', 'four'])
      expect((await note(incident.id, message)).statusCode).toBe(201);
    const pages = await walk(incident.id, 2);
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
    const entries = pages.flat();
    expect(entries.map((e) => e.message)).toEqual([
      expect.stringMatching(/^Incident opened/),
      'one',
      'two',
      'three',
      'four',
    ]);
    expect(entries.map((e) => e.id)).toEqual([...entries.map((e) => e.id)].sort((a, b) => a - b));
  });

  it('answers 400 in the envelope to a cursor it did not issue, and to a limit out of range', async () => {
    const incident = await createIncident(t.app);
    for (const query of ['cursor=bm9wZQ', 'cursor=%ff', 'limit=0', 'limit=101', 'other=1']) {
      const response = await t.app.inject({ url: `/v1/incidents/${incident.id}/timeline?${query}` });
      expect(response.statusCode, query).toBe(400);
      expect(response.json().error.code, query).toMatch(/^VALIDATION_FAILED$/);
    }
  });
});

describe('GET /v1/incidents/:id', () => {
  it('embeds only the latest TIMELINE_EMBED_LIMIT entries, oldest first, and says that more exist', async () => {
    const incident = await createIncident(t.app);
    const first = await t.app.inject({ url: `/v1/incidents/${incident.id}` });
    expect(first.json().data).toMatchObject({ timelineTruncated: false });
    expect(first.json().data.timeline).toHaveLength(1);

    for (const message of ['a', 'b', 'c']) await note(incident.id, message);
    const response = await t.app.inject({ url: `/v1/incidents/${incident.id}` });
    expect(response.statusCode).toBe(200);
    const data = response.json().data;
    expect(data.timeline.map((e: { message: string }) => e.message)).toEqual(['a', 'b', 'c']);
    expect(data.timelineTruncated).toBe(true);
  });
});

describe('notes', () => {
  it('refuses a note past NOTES_PER_INCIDENT_MAX with 409 NOTES_LIMIT_REACHED and writes nothing', async () => {
    const incident = await createIncident(t.app);
    for (const message of ['1', '2', '3', '4'])
      expect((await note(incident.id, message)).statusCode).toBe(201);
    const versionBefore = (await t.app.inject({ url: `/v1/incidents/${incident.id}` })).json().data.version;

    const refused = await note(incident.id, 'one too many');
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ code: 'NOTES_LIMIT_REACHED', details: { limit: 4 } });
    expect(await notesOf(incident.id)).toBe(4);
    expect((await t.app.inject({ url: `/v1/incidents/${incident.id}` })).json().data.version).toBe(
      versionBefore,
    );
  });

  it('holds the cap under concurrent notes (counted under the incident’s row lock)', async () => {
    const incident = await createIncident(t.app);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => note(incident.id, `n${i}`)));
    expect(answers.filter((a) => a.statusCode === 201)).toHaveLength(4);
    expect(answers.filter((a) => a.statusCode === 409)).toHaveLength(4);
    expect(await notesOf(incident.id)).toBe(4);
  });

  it('refuses a note over 10,000 characters with 400 and writes nothing', async () => {
    const incident = await createIncident(t.app);
    const response = await note(incident.id, 'x'.repeat(10_001));
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details).toEqual([expect.objectContaining({ field: 'body.message' })]);
    expect(await notesOf(incident.id)).toBe(0);
  });
});

describe('an incident with 2,000 notes of 10 KB', () => {
  it('answers the incident, its timeline pages and its postmortem with bounded bodies, concurrently', async () => {
    const incident = await createIncident(t.app, { title: 'Noisy' });
    // 20 MB of notes, written straight to the table: the cap on notes is what the API enforces, this is the
    // volume the reads must survive.
    await sql`
      insert into timeline_events (incident_id, kind, message)
      select ${incident.id}::uuid, 'note', repeat(md5(i::text), 320) from generate_series(1, 2000) as i
    `.execute(t.app.db);

    const urls = [
      `/v1/incidents/${incident.id}`,
      `/v1/incidents/${incident.id}/timeline?limit=100`,
      `/v1/incidents/${incident.id}/postmortem`,
    ];
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => urls.map((url) => t.app.inject({ url }))).flat(),
    );
    for (const answer of answers) expect(answer.statusCode, answer.body.slice(0, 300)).toBe(200);
    const [detail, page, postmortem] = answers;
    // Three embedded entries of 10 KB, a page of 100, a review of 200 entries of 500 characters.
    expect(detail?.body.length).toBeLessThan(40_000);
    expect(page?.json().data).toHaveLength(100);
    expect(page?.body.length).toBeLessThan(1_100_000);
    expect(postmortem?.body.length).toBeLessThan(150_000);
    expect(postmortem?.body).toContain(`GET /v1/incidents/${incident.id}/timeline`);

    const pages = await walk(incident.id, 100);
    expect(pages.flat()).toHaveLength(2001);
  });
});
