import type { LogEvent } from 'kysely';
import type pg from 'pg';
import { Gauge, Histogram, type Registry } from 'prom-client';

const QUERY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const OPERATION_OF_NODE: Record<string, string> = {
  SelectQueryNode: 'select',
  InsertQueryNode: 'insert',
  UpdateQueryNode: 'update',
  DeleteQueryNode: 'delete',
  MergeQueryNode: 'merge',
};
// Raw SQL (sql`…`, transactions) is named by its first keyword, from a fixed list so the label set stays bounded.
const RAW_OPERATIONS = new Set([
  'select',
  'insert',
  'update',
  'delete',
  'merge',
  'with',
  'begin',
  'commit',
  'rollback',
  'savepoint',
  'release',
  'set',
  'copy',
]);

/** The operation a query is counted under: the Kysely query kind, or the first keyword of raw SQL. */
export function operationOf(event: LogEvent): string {
  const fromNode = OPERATION_OF_NODE[event.query.query.kind];
  if (fromNode) return fromNode;
  const keyword = /^\s*([a-z]+)/i.exec(event.query.sql)?.[1]?.toLowerCase() ?? '';
  return RAW_OPERATIONS.has(keyword) ? keyword : 'other';
}

/**
 * Database metrics on `registry`: `onQuery` is told of every statement with its duration; `observePool` adds
 * the pool gauges, read from the pool's own counters when the registry is collected (no query).
 */
export function databaseMetrics(registry: Registry) {
  const registers = [registry];
  const queries = new Histogram({
    name: 'db_query_duration_seconds',
    help: 'Database query durations by operation and outcome (ok or error), as Kysely ran them',
    labelNames: ['operation', 'outcome'] as const,
    buckets: QUERY_BUCKETS,
    registers,
  });
  return {
    onQuery(event: LogEvent) {
      queries.observe(
        { operation: operationOf(event), outcome: event.level === 'query' ? 'ok' : 'error' },
        event.queryDurationMillis / 1000,
      );
    },
    observePool(pool: pg.Pool) {
      const gauge = (name: string, help: string, read: () => number) =>
        new Gauge({
          name,
          help,
          registers,
          collect() {
            this.set(read());
          },
        });
      gauge('db_pool_connections', 'Connections the pool holds open, busy or idle', () => pool.totalCount);
      gauge('db_pool_connections_idle', 'Open connections waiting for a query', () => pool.idleCount);
      gauge('db_pool_requests_waiting', 'Queries waiting for a free connection', () => pool.waitingCount);
    },
  };
}
