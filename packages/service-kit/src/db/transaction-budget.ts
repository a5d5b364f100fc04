import { AsyncLocalStorage } from 'node:async_hooks';
import { TimeoutError } from '@steadfast/errors';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type LogEvent,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

/** Called after every statement with its duration, as Kysely's `log` hook would be. */
export type QueryObserver = (event: LogEvent) => void;

/**
 * How far past its budget a transaction's last statement may run. The statement timeout is lowered to the time
 * left only once it would overshoot by more than this, so a short transaction costs no extra round trip; well
 * inside the guard's UNRESPONSIVE_GRACE_MS, so the database still cuts the statement before the guard gives up.
 */
export const TRANSACTION_BUDGET_SLACK_MS = 100;

// The deadline (performance.now() ms) of the guarded call running now.
const deadlines = new AsyncLocalStorage<number>();

/** Runs `work` with a budget that every transaction it opens must end within, all statements together. */
export function withTransactionBudget<T>(budgetMs: number, work: () => Promise<T>): Promise<T> {
  return deadlines.run(performance.now() + budgetMs, work);
}

/**
 * A transaction reached its budget between two statements (a statement still running at the deadline is
 * cancelled by the database, 57014). Like that cancellation it is the request's cost, not the database
 * failing: 504, and the breaker does not count it.
 */
export class TransactionBudgetError extends TimeoutError {
  constructor() {
    super('The database transaction ran out of its time budget');
  }
}

export const isTransactionBudgetError = (error: unknown): error is TransactionBudgetError =>
  error instanceof TransactionBudgetError;

class BudgetedConnection implements DatabaseConnection {
  // Set from BEGIN to COMMIT or ROLLBACK of a transaction opened inside withTransactionBudget.
  deadline: number | undefined;
  // The statement_timeout in force in that transaction.
  private timeoutMs = 0;

  constructor(
    readonly inner: DatabaseConnection,
    private readonly sessionTimeoutMs: number,
    private readonly onQuery: QueryObserver | undefined,
  ) {}

  begin(deadline: number | undefined): void {
    this.deadline = deadline;
    this.timeoutMs = this.sessionTimeoutMs;
  }

  /** Throws once the budget is spent, so that the transaction rolls back. */
  checkBudget(): number {
    const left = Math.floor(this.deadline! - performance.now());
    if (left <= 0) throw new TransactionBudgetError();
    return left;
  }

  // The statement is timed here rather than through Kysely's `log` option, which wraps every query in three
  // more async functions.
  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const started = performance.now();
    const result =
      this.deadline === undefined
        ? this.inner.executeQuery<R>(query)
        : this.beforeStatement().then(() => this.inner.executeQuery<R>(query));
    const onQuery = this.onQuery;
    if (onQuery === undefined) return result;
    return result.then(
      (value) => {
        onQuery({ level: 'query', isStream: false, query, queryDurationMillis: performance.now() - started });
        return value;
      },
      (error: unknown) => {
        onQuery({ level: 'error', error, query, queryDurationMillis: performance.now() - started });
        throw error;
      },
    );
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    const started = performance.now();
    let failed = false;
    try {
      if (this.deadline !== undefined) await this.beforeStatement();
      yield* this.inner.streamQuery<R>(query, chunkSize);
    } catch (error) {
      failed = true;
      this.onQuery?.({ level: 'error', error, query, queryDurationMillis: performance.now() - started });
      throw error;
    } finally {
      // Also when the caller stops reading early.
      if (!failed) {
        this.onQuery?.({
          level: 'query',
          isStream: true,
          query,
          queryDurationMillis: performance.now() - started,
        });
      }
    }
  }

  private async beforeStatement(): Promise<void> {
    const left = this.checkBudget();
    if (this.timeoutMs - left <= TRANSACTION_BUDGET_SLACK_MS) return;
    this.timeoutMs = left;
    // SET LOCAL ends with the transaction, so the connection goes back to the pool with its own timeout.
    await this.inner.executeQuery(CompiledQuery.raw(`set local statement_timeout = ${left}`));
  }
}

class BudgetedDriver implements Driver {
  // One wrapper per connection, as the inner driver keeps one per pooled client.
  private readonly connections = new WeakMap<DatabaseConnection, BudgetedConnection>();

  constructor(
    private readonly inner: Driver,
    private readonly sessionTimeoutMs: number,
    private readonly onQuery: QueryObserver | undefined,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const inner = await this.inner.acquireConnection();
    let connection = this.connections.get(inner);
    if (connection === undefined) {
      connection = new BudgetedConnection(inner, this.sessionTimeoutMs, this.onQuery);
      this.connections.set(inner, connection);
    }
    return connection;
  }

  async beginTransaction(connection: BudgetedConnection, settings: TransactionSettings): Promise<void> {
    await this.inner.beginTransaction(connection.inner, settings);
    connection.begin(deadlines.getStore());
  }

  async commitTransaction(connection: BudgetedConnection): Promise<void> {
    // A transaction over its budget rolls back even when its last statement made it in time.
    if (connection.deadline !== undefined) connection.checkBudget();
    connection.deadline = undefined;
    await this.inner.commitTransaction(connection.inner);
  }

  async rollbackTransaction(connection: BudgetedConnection): Promise<void> {
    connection.deadline = undefined;
    await this.inner.rollbackTransaction(connection.inner);
  }

  async savepoint(
    connection: BudgetedConnection,
    name: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await this.savepoints('savepoint')(connection.inner, name, compileQuery);
  }

  async rollbackToSavepoint(
    connection: BudgetedConnection,
    name: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await this.savepoints('rollbackToSavepoint')(connection.inner, name, compileQuery);
  }

  async releaseSavepoint(
    connection: BudgetedConnection,
    name: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await this.savepoints('releaseSavepoint')(connection.inner, name, compileQuery);
  }

  private savepoints(method: 'savepoint' | 'rollbackToSavepoint' | 'releaseSavepoint') {
    const run = this.inner[method];
    if (run === undefined) throw new Error(`The database driver does not support ${method}`);
    return run.bind(this.inner);
  }

  releaseConnection(connection: BudgetedConnection): Promise<void> {
    return this.inner.releaseConnection(connection.inner);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/**
 * Gives every transaction opened inside `withTransactionBudget` one budget for all its statements: before each
 * statement the time left is checked (spent: TransactionBudgetError, and the transaction rolls back) and, when the
 * connection's `sessionTimeoutMs` would let the statement run past it, `SET LOCAL statement_timeout` lowers it to
 * the time left, so the database cancels a statement still running at the deadline. PostgreSQL 17's
 * `transaction_timeout` would end the session instead, which the breaker counts as the database failing.
 * `onQuery` is told of every statement with its duration and outcome.
 */
export function budgetedDialect(
  dialect: Dialect,
  sessionTimeoutMs: number,
  onQuery?: QueryObserver,
): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => new BudgetedDriver(dialect.createDriver(), sessionTimeoutMs, onQuery),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}
