// `pnpm --filter @steadfast/users-api bench:growth` (after `pnpm build`): what users-api's reads cost with
// 1,000,000 users (BENCH_USERS) and 30 days of per-minute SLI rows, against the same reads on a near-empty table
// (41 users: a first and a second full page; no SLI rows). Method: `runGrowthBench` in the kit's testing-bench.
import { growthSettings, runGrowthBench } from '@steadfast/service-kit/testing-bench';

await runGrowthBench({
  script: new URL('../dist/server.js', import.meta.url).pathname,
  audience: 'users-api',
  scope: 'users:read',
  databases: { empty: 'users_empty', grown: 'users_grown' },
  rows: { empty: 41, grown: Number(process.env.BENCH_USERS ?? 1_000_000) },
  async fill(client, count) {
    await client.query(`
      INSERT INTO users (name, email, muted, created_at, updated_at)
      SELECT 'User ' || i, 'user' || i || '@example.com', i % 7 = 0, now() - make_interval(secs => i), now()
      FROM generate_series(1, ${count}) AS i`);
    await client.query('VACUUM ANALYZE users');
  },
  listPath: '/v1/users',
  async rowPath(client, count) {
    const { rows } = await client.query('SELECT id FROM users ORDER BY created_at DESC OFFSET $1 LIMIT 1', [
      Math.floor(count / 2),
    ]);
    return `/v1/users/${rows[0].id}`;
  },
  relevant: /\b(users|slo_sli_minutes)\b/,
  async describe(client) {
    const { rows } = await client.query(
      `SELECT count(*)::int AS users, pg_total_relation_size('users')::bigint AS size FROM users`,
    );
    return `${rows[0].users.toLocaleString('en')} users (table and indexes ${(Number(rows[0].size) / 2 ** 20).toFixed(0)} MiB)`;
  },
  settings: growthSettings(),
  page: 1000,
  sliDays: 30,
});
