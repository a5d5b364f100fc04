import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { interleaved, percentile, planLog, scansOf } from '../src/testing-bench.js';

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
});
