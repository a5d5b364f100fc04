import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  benchDirectory,
  expectOk,
  interleaved,
  type LoadResult,
  otlpByteSink,
  percentile,
  planLog,
  rssMiB,
  scansOf,
  startBenchServer,
} from '../src/testing-bench.js';

// PostgreSQL's stderr as auto_explain writes it: the message's first line, then every further line after a tab.
const LOGGED = [
  '2026-12-02 04:20:01.123 UTC [4242] LOG:  duration: 0.061 ms  plan:',
  '\tQuery Text: select * from "users" where "id" = $1',
  "\tQuery Parameters: $1 = '6e8536bf-8692-4eb3-9924-1fadcb337924'",
  '\tIndex Scan using users_pkey on users  (cost=0.42..8.44 rows=1 width=93) (actual time=0.031..0.032 rows=1.00 loops=1)',
  "\t  Index Cond: (id = '6e8536bf-8692-4eb3-9924-1fadcb337924'::uuid)",
  '\t  Buffers: shared hit=3 read=1',
  '2026-12-02 04:20:01.125 UTC [4242] LOG:  duration: 59.021 ms  plan:',
  '\tQuery Text: select "slo", sum("good") as "good_period"',
  '\t  from "slo_sli_minutes" group by "slo"',
  '\tHashAggregate  (cost=7341.54..7341.64 rows=2 width=531) (actual time=59.021..59.024 rows=2.00 loops=1)',
  '\t  Group Key: slo',
  '\t  Buffers: shared hit=808',
  '\t  ->  Seq Scan on slo_sli_minutes  (cost=0.00..2320.00 rows=64794 width=43) (actual time=0.029..16.214 rows=86398.00 loops=1)',
  '\t        Buffers: shared hit=808',
  '2026-12-02 04:20:02.000 UTC [4243] LOG:  checkpoint starting: time',
];

describe('planLog', () => {
  it('collects each plan with its query and leaves other log lines out', () => {
    const plans = planLog();
    for (const line of LOGGED) plans.log(line);
    const [byId, slo, ...rest] = plans.take();
    expect(rest).toEqual([]);
    expect(byId?.query).toBe('select * from "users" where "id" = $1');
    expect(slo?.query).toBe(
      'select "slo", sum("good") as "good_period" from "slo_sli_minutes" group by "slo"',
    );
    expect(plans.take()).toEqual([]);
  });

  it('names each scan with its buffers', () => {
    const plans = planLog();
    for (const line of LOGGED) plans.log(line);
    expect(plans.take().map(scansOf)).toEqual([
      ['Index Scan using users_pkey on users (buffers: shared hit=3 read=1)'],
      ['Seq Scan on slo_sli_minutes (buffers: shared hit=808)'],
    ]);
  });
});

describe('percentile', () => {
  it('is a value of the list, with at least p % of the values at or below it', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { minLength: 1 }), fc.integer({ min: 1, max: 100 }), (values, p) => {
        const value = percentile(values, p);
        expect(values).toContain(value);
        expect(values.filter((v) => v <= value).length).toBeGreaterThanOrEqual((p / 100) * values.length);
      }),
    );
  });
});

describe('interleaved', () => {
  it('runs every target once a round, starting one later each round', async () => {
    const order: string[] = [];
    const target = (name: string) => ({ name, run: async () => order.push(name) });
    const results = await interleaved([target('a'), target('b'), target('c')], 3);
    expect(order).toEqual(['a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b']);
    expect([...results.keys()]).toEqual(['a', 'b', 'c']);
    expect(results.get('a')).toHaveLength(3);
  });

  it('shows the results once every round is over', async () => {
    const seen: number[][] = [];
    let count = 0;
    const target = (name: string) => ({ name, run: async () => count++ });
    await interleaved([target('a'), target('b')], 2, (results) => seen.push([...(results.get('a') ?? [])]));
    expect(seen).toEqual([[0], [0, 3]]);
  });
});

describe('expectOk', () => {
  const run: LoadResult = {
    requestsPerSecond: 1,
    requests: 1,
    p50Ms: 1,
    p99Ms: 1,
    non2xx: 0,
    errors: 0,
    statuses: {},
  };

  it('passes a run where every response was 2xx', () => {
    expect(expectOk('a', run)).toBe(run);
  });

  it('throws on a non-2xx response or a failed request', () => {
    expect(() => expectOk('a', { ...run, non2xx: 2 })).toThrow('a: 2 non-2xx and 0 errors under load');
    expect(() => expectOk('a', { ...run, errors: 1 })).toThrow('a: 0 non-2xx and 1 errors under load');
  });
});

describe('startBenchServer', () => {
  const root = benchDirectory('testing-bench-');
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const script = (name: string, source: string) => {
    const path = join(root, name);
    writeFileSync(path, source);
    return path;
  };

  it('starts a plain script on PORT with its flags and environment, ready once the path answers 200', async () => {
    const server = await startBenchServer(
      'plain',
      script(
        'plain.mjs',
        `import { createServer } from 'node:http';
        createServer((request, response) => response.end(JSON.stringify({ greeting: process.env.GREETING, flags: process.execArgv }))).listen(Number(process.env.PORT), '127.0.0.1');`,
      ),
      { env: { GREETING: 'hello' }, readyPath: '/', nodeFlags: ['--no-warnings'] },
    );
    try {
      expect(await (await fetch(server.url)).json()).toEqual({ greeting: 'hello', flags: ['--no-warnings'] });
      expect(rssMiB(server.child.pid as number)).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
    expect(server.child.signalCode).toBe('SIGTERM');
    await server.stop();
  });

  it('throws when the script exits before it is ready', async () => {
    await expect(
      startBenchServer('broken', script('broken.mjs', 'process.exit(3);'), { readyPath: '/' }),
    ).rejects.toThrow('broken exited with 3');
  });
});

describe('otlpByteSink', () => {
  it('answers every export with 200 and counts its bytes', async () => {
    const sink = await otlpByteSink();
    try {
      const body = 'x'.repeat(1000);
      const response = await fetch(`${sink.endpoint}/v1/traces`, { method: 'POST', body });
      expect(response.status).toBe(200);
      await fetch(`${sink.endpoint}/v1/traces`, { method: 'POST', body });
      expect(sink.bytes()).toBe(2000);
    } finally {
      await sink.close();
    }
  });
});
