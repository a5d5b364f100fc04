// What bench.js and ablation.js share beyond the kit's bench helpers: users-api's token and environment, the user
// the load reads, and the rounds both run.
import { benchServiceEnv, benchToken, loadRounds } from '@steadfast/service-kit/testing-bench';

export const CONNECTIONS = 10;
export const here = (path) => new URL(path, import.meta.url).pathname;
export const authorization = `Bearer ${await benchToken('users-api', 'users:read users:write')}`;

/** users-api's environment: production settings, limits high enough that the load is never throttled. */
export const serviceEnv = (extra) => benchServiceEnv('users-api', extra);

/**
 * After a 2 s warm-up each, `rounds` interleaved rounds of `seconds` per server on `path`; a map from server name to
 * its runs, each with the server's RSS once the whole round is over.
 */
export const interleavedRounds = (servers, path, { rounds, seconds }) =>
  loadRounds(
    servers.map((server) => ({ name: server.name, url: `${server.url}${path}`, pid: server.child.pid })),
    { rounds, seconds, warmupSeconds: 2, connections: CONNECTIONS, headers: { authorization } },
  );

/** Creates the user the load reads; the path to GET. */
export async function createBenchUser(service) {
  const created = await fetch(`${service.url}/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ name: 'Bench', email: 'bench@example.com' }),
  });
  if (created.status !== 201)
    throw new Error(`creating the bench user: ${created.status} ${await created.text()}`);
  const { data } = await created.json();
  return `/v1/users/${data.id}`;
}
