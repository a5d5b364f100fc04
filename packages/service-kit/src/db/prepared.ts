import {
  type Compilable,
  type CompiledQuery,
  Kysely,
  type KyselyConfig,
  type PostgresPool,
  type PostgresPoolClient,
  type QueryId,
  type QueryResult,
} from 'kysely';
import pg from 'pg';
import type { QueryObserver } from './transaction-budget.js';

/** More distinct prepared statements than a service's hot paths need means SQL is being built per call. */
export const MAX_PREPARED_STATEMENTS = 64;

// The statement name of each prepared SQL text: the same text always gets the same name, on every connection.
const statementNames = new Map<string, string>();

// `select *` / `t.*` / `returning *`: a prepared statement's result columns are fixed when it is prepared.
const STAR_COLUMNS = /\bselect\s+(?:distinct\s+)?\*|\.\*|\breturning\s+\*/i;

/**
 * Marks a compiled query to run as a named prepared statement on the kit's pools: each connection parses and
 * plans it once, and every later call sends only its parameters. For the hot statements a service compiles once
 * (the SQL text never varies, the parameters do); each marked text is one statement on every pooled connection,
 * so at most MAX_PREPARED_STATEMENTS.
 *
 * The statement must name its columns: PostgreSQL re-plans a prepared statement after a migration, but one that
 * selects `*` fails ("cached plan must not change result type") once a column is added while the service runs.
 * A pooler in transaction mode (PgBouncer before 1.21, or without `max_prepared_statements`) cannot keep named
 * statements; connect such a service to PostgreSQL directly.
 */
export function prepared<R>(query: CompiledQuery<R>): CompiledQuery<R> {
  if (statementNames.has(query.sql)) return query;
  if (STAR_COLUMNS.test(query.sql)) {
    throw new Error(`A prepared statement must name its columns, not select *: ${query.sql}`);
  }
  if (statementNames.size >= MAX_PREPARED_STATEMENTS) {
    throw new Error(`More than ${MAX_PREPARED_STATEMENTS} prepared statements: is SQL built per call?`);
  }
  statementNames.set(query.sql, `steadfast_${statementNames.size + 1}`);
  return query;
}

/**
 * Runs `text` as the named statement `name`. pg copies a query config object descriptor by descriptor on every
 * call (about 3 % of users-api's CPU on its one-row GET); a Query built from the text is handed over as it is.
 */
function namedQuery(client: pg.PoolClient, name: string, text: string, values: unknown[] | undefined) {
  return new Promise<pg.QueryResult>((resolve, reject) => {
    const query = new pg.Query(text, values, (error: Error | undefined, result: pg.QueryResult) =>
      error === undefined || error === null ? resolve(result) : reject(error),
    );
    (query as pg.Query & { name: string }).name = name;
    client.query(query);
  });
}

/** What Kysely's PostgresDialect is given instead of the pool itself: marked statements go out by name. */
export function preparingPool(pool: pg.Pool): PostgresPool {
  // One wrapper per pooled client, so Kysely keeps one connection object per client as it does for the pool's.
  const clients = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => ({
    // Kysely passes SQL and its parameters, or a cursor (streamQuery) as the only argument.
    query: ((statement: string | pg.Submittable, values?: unknown[]) => {
      if (typeof statement !== 'string') return client.query(statement);
      const name = statementNames.get(statement);
      return name === undefined
        ? client.query(statement, values)
        : namedQuery(client, name, statement, values);
    }) as unknown as PostgresPoolClient['query'],
    release: () => client.release(),
  });
  return {
    async connect() {
      const client = await pool.connect();
      let wrapped = clients.get(client);
      if (wrapped === undefined) {
        wrapped = wrap(client);
        clients.set(client, wrapped);
      }
      return wrapped;
    },
    end: () => (pool.ended ? Promise.resolve() : pool.end()),
  };
}

const ROW_COUNT_COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/**
 * The service's Kysely handle. A marked statement run on the handle itself goes from the pool to the named
 * statement and back, past Kysely's executor, connection provider and drivers (five async layers: about 5 µs of
 * CPU a call of users-api's one-row read, 58–59 against 64 µs), timed for `onQuery` as every statement is, and answered with the result
 * and error Kysely's Postgres driver gives. Everything else goes through Kysely: builders, unmarked SQL, and the
 * handles it derives (a transaction's, `connection()`'s, `withPlugin`'s), where a marked statement still goes by
 * name through `preparingPool`.
 */
// biome-ignore lint/suspicious/noExplicitAny: each app narrows this to its own schema (Kysely<AppDatabase>)
export class PreparingKysely<DB = any> extends Kysely<DB> {
  readonly #pool: pg.Pool;
  readonly #onQuery: QueryObserver | undefined;

  constructor(config: KyselyConfig, pool: pg.Pool, onQuery: QueryObserver | undefined) {
    super(config);
    this.#pool = pool;
    this.#onQuery = onQuery;
  }

  override executeQuery<R>(
    query: CompiledQuery<R> | Compilable<R>,
    queryId?: QueryId,
  ): Promise<QueryResult<R>> {
    const name = 'sql' in query ? statementNames.get(query.sql) : undefined;
    return name === undefined
      ? super.executeQuery(query, queryId)
      : this.#runNamed(name, query as CompiledQuery<R>);
  }

  async #runNamed<R>(name: string, query: CompiledQuery<R>): Promise<QueryResult<R>> {
    const client = await this.#pool.connect();
    const started = performance.now();
    try {
      const { command, rowCount, rows } = await namedQuery(
        client,
        name,
        query.sql,
        query.parameters as unknown[],
      );
      this.#onQuery?.({
        level: 'query',
        isStream: false,
        query,
        queryDurationMillis: performance.now() - started,
      });
      return {
        rows: (rows ?? []) as R[],
        ...(ROW_COUNT_COMMANDS.has(command) ? { numAffectedRows: BigInt(rowCount ?? 0) } : {}),
      };
    } catch (error) {
      this.#onQuery?.({ level: 'error', error, query, queryDurationMillis: performance.now() - started });
      // As Kysely's driver does: the database's error with the caller's stack after its own.
      const caller = new Error().stack;
      if (error instanceof Error && caller !== undefined) {
        error.stack += `\n${caller.split('\n').slice(1).join('\n')}`;
      }
      throw error;
    } finally {
      client.release();
    }
  }
}
