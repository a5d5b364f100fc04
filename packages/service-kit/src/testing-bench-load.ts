// The load generator, as a process of its own (`runLoad` in testing-bench.ts): autocannon against one URL, the
// options as one JSON argument, the result as one JSON line on stdout.
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import type { LoadOptions, LoadResult } from './testing-bench.js';

const options = JSON.parse(process.argv[2] as string) as LoadOptions;
const run = randomUUID().slice(0, 8);
let sent = 0;
const result = await autocannon({
  url: options.url,
  duration: options.seconds,
  connections: options.connections,
  requests: [
    {
      method: (options.method ?? 'GET') as autocannon.Request['method'],
      headers: options.headers ?? {},
      ...(options.body === undefined ? {} : { body: options.body }),
      ...(options.uniqueBodies && options.body !== undefined
        ? {
            setupRequest: (request: autocannon.Request) => ({
              ...request,
              body: (options.body as string).replaceAll('__N__', `${run}-${sent++}`),
            }),
          }
        : {}),
    },
  ],
});
const statuses: Record<string, number> = {};
for (const [status, stats] of Object.entries(result.statusCodeStats ?? {}))
  statuses[status] = stats.count ?? 0;
const output: LoadResult = {
  requestsPerSecond: result.requests.average,
  requests: result.requests.total,
  p50Ms: result.latency.p50,
  p99Ms: result.latency.p99,
  non2xx: result.non2xx,
  errors: result.errors,
  statuses,
};
console.log(JSON.stringify(output));
