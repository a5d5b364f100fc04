// `pnpm --filter @steadfast/incidents-api bench:growth` (after `pnpm build`): what incidents-api's reads cost with
// 200,000 incidents (BENCH_INCIDENTS), each on one of 50 services with three timeline entries, and 30 days of
// per-minute SLI rows, against the same reads on near-empty tables (41 incidents: a first and a second full page;
// no SLI rows). Method: `runGrowthBench` in the kit's testing-bench.
import { growthSettings, runGrowthBench } from '@steadfast/service-kit/testing-bench';

const SERVICES = 50;
const TABLES = ['services', 'incidents', 'incident_services', 'timeline_events'];

await runGrowthBench({
  script: new URL('../dist/server.js', import.meta.url).pathname,
  audience: 'incidents-api',
  scope: 'incidents:read',
  databases: { empty: 'incidents_empty', grown: 'incidents_grown' },
  rows: { empty: 41, grown: Number(process.env.BENCH_INCIDENTS ?? 200_000) },
  /** Incidents a minute apart, the newest 1,000 unresolved, each on one service with three timeline entries. */
  async fill(client, count) {
    await client.query(
      `INSERT INTO services (name) SELECT 'service-' || i FROM generate_series(1, ${SERVICES}) AS i`,
    );
    await client.query(`
      INSERT INTO incidents (title, description, severity, status, created_at, updated_at, resolved_at)
      SELECT 'Incident ' || i, 'Filled by the growth bench', (ARRAY['critical', 'high', 'medium', 'low'])[1 + i % 4],
             CASE WHEN i > 1000 THEN 'resolved' ELSE 'open' END, now() - make_interval(mins => i),
             now() - make_interval(mins => i) + interval '20 minutes',
             CASE WHEN i > 1000 THEN now() - make_interval(mins => i) + interval '20 minutes' END
      FROM generate_series(1, ${count}) AS i`);
    await client.query(`
      INSERT INTO incident_services (incident_id, service_id)
      SELECT i.id, s.id
      FROM (SELECT id, row_number() OVER () % ${SERVICES} AS k FROM incidents) AS i
      JOIN (SELECT id, row_number() OVER (ORDER BY name) - 1 AS k FROM services) AS s USING (k)`);
    await client.query(`
      INSERT INTO timeline_events (incident_id, kind, message, details, created_at)
      SELECT i.id, e.kind, e.message, e.details::jsonb, i.created_at + make_interval(mins => e.after)
      FROM incidents AS i CROSS JOIN (VALUES
        (0, 'created', 'Incident opened', '{}'),
        (5, 'status_changed', 'Status changed from open to investigating', '{"from":"open","to":"investigating"}'),
        (12, 'note', 'Rolled back the 14:02 deploy; error rate falling', '{}')
      ) AS e(after, kind, message, details)`);
    for (const table of TABLES) await client.query(`VACUUM ANALYZE ${table}`);
  },
  listPath: '/v1/incidents',
  async rowPath(client, count) {
    const { rows } = await client.query(
      'SELECT id FROM incidents ORDER BY created_at DESC OFFSET $1 LIMIT 1',
      [Math.floor(count / 2)],
    );
    return `/v1/incidents/${rows[0].id}`;
  },
  relevant: /\b(incidents|incident_services|services|timeline_events|slo_sli_minutes)\b/,
  async describe(client) {
    const { rows } = await client.query(
      `SELECT (SELECT count(*) FROM incidents)::int AS incidents, (SELECT count(*) FROM timeline_events)::int AS entries,
              (${TABLES.map((t) => `pg_total_relation_size('${t}')`).join(' + ')})::bigint AS size`,
    );
    const [{ incidents, entries, size }] = rows;
    return `${incidents.toLocaleString('en')} incidents with ${entries.toLocaleString('en')} timeline entries on ${SERVICES} services (tables and indexes ${(Number(size) / 2 ** 20).toFixed(0)} MiB)`;
  },
  settings: growthSettings(),
  page: 1000,
  sliDays: 30,
});
