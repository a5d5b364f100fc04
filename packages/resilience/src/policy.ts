/** What every policy hands to the operation it runs. */
export interface ExecuteContext {
  /** Aborted when the caller gives up or a timeout policy fires; pass it on to I/O. */
  readonly signal: AbortSignal;
  /** 1 for the first try; a retry policy counts up from there. */
  readonly attempt: number;
}

export interface ExecuteOptions {
  signal?: AbortSignal | undefined;
  /** Set by an outer retry policy so inner policies report the right attempt. */
  attempt?: number | undefined;
  /** `false` tells a retry policy that this call must not be repeated. */
  idempotent?: boolean | undefined;
}

/** What a policy runs: it may return a promise, a foreign thenable or a plain value, and may throw. */
export type Operation<T> = (context: ExecuteContext) => T | PromiseLike<T>;

/**
 * A policy runs an operation under some rule. `R` is what the policy may produce instead of the
 * operation's own result (a fallback's value); it is `never` for every other policy.
 */
export interface Policy<R = never> {
  /** Type-only: what the policy may answer with instead of the operation's result. Never set. */
  readonly resultType?: R;
  execute<T>(fn: Operation<T>, options?: ExecuteOptions): Promise<T | R>;
}

/** The extra result type a policy may produce. */
export type PolicyResult<P> = P extends { readonly resultType?: infer R }
  ? unknown extends R
    ? never
    : R
  : never;

/** Stops a listener; calling it twice is harmless. */
export type Dispose = () => void;

/** Shared by every call made without a signal, so the hot path allocates no AbortController. */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/** Reads the clock; `Date.now` by default so timestamps in saved state survive a restart. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** For deadlines that must not move when the wall clock is adjusted. */
export const monotonicClock: Clock = () => performance.now();

/** The context an operation sees when a policy does not change signal or attempt. */
export function contextFrom(options: ExecuteOptions | undefined): ExecuteContext {
  if (options === undefined) return DEFAULT_CONTEXT;
  return { signal: options.signal ?? NEVER_ABORTED, attempt: options.attempt ?? 1 };
}

const DEFAULT_CONTEXT: ExecuteContext = Object.freeze({ signal: NEVER_ABORTED, attempt: 1 });
