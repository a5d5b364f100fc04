import { durationMs, fn, InvalidOptionError, integerAtLeast, numberInRange, oneOf } from '@steadfast/errors';
import { isDependencyFailure } from './classify.js';
import { CircuitOpenError } from './errors.js';
import { Emitter } from './events.js';
import { FailureCountWindow, FailureRateWindow } from './failure-window.js';
import {
  type Clock,
  contextFrom,
  type Dispose,
  type ExecuteOptions,
  type Operation,
  type Policy,
  systemClock,
} from './policy.js';
import { WaitQueue } from './wait-queue.js';

export const DEFAULT_FAILURE_THRESHOLD = 5;
export const DEFAULT_FAILURE_WINDOW_MS = 60_000;
export const DEFAULT_FAILURE_COUNTING: FailureCounting = 'window';
export const DEFAULT_MINIMUM_CALLS = 10;
export const DEFAULT_OPEN_DURATION_MS = 30_000;
export const DEFAULT_OPEN_DURATION_MULTIPLIER = 1;
export const DEFAULT_MAX_OPEN_DURATION_MS = 10 * 60_000;
export const DEFAULT_HALF_OPEN_MAX_CALLS = 3;
export const DEFAULT_SUCCESS_THRESHOLD = 2;
export const DEFAULT_PROBE_TIMEOUT_MS = 30_000;
export const DEFAULT_HALF_OPEN_MAX_QUEUE = 0;
export const DEFAULT_HALF_OPEN_QUEUE_TIMEOUT_MS = 1_000;

/**
 * `window`: `failureThreshold` failures within `failureWindow` open the circuit, whatever succeeded
 * in between. `consecutive`: that many failures in a row open it and a success starts the count over,
 * as cockatiel's ConsecutiveBreaker does; `failureWindow` then only frames the failure rate.
 */
export type FailureCounting = 'window' | 'consecutive';

export interface CircuitBreakerOptions {
  /** Failures within `failureWindow` that open the circuit (inclusive). Default 5. */
  failureThreshold?: number;
  /** Sliding window for both thresholds, in ms. Default 60 000. */
  failureWindow?: number;
  /** How `failureThreshold` counts failures. Default `window`. */
  failureCounting?: FailureCounting;
  /** Also open when this share of calls (0 < r <= 1) fails within the window. Off by default. */
  failureRateThreshold?: number;
  /** Calls the window must hold before the failure rate is judged. Default 10. */
  minimumCalls?: number;
  /** A call that takes at least this many ms counts as a failure even if it succeeds. Off by default. */
  slowCallDuration?: number;
  /** How long the circuit stays open before probing, in ms. Default 30 000. */
  openDuration?: number;
  /** Each re-opening without closing in between multiplies the open duration by this. Default 1. */
  openDurationMultiplier?: number;
  /** Cap for the grown open duration, in ms. Default 600 000. */
  maxOpenDuration?: number;
  /** Probe calls let through while half-open. Default 3. */
  halfOpenMaxCalls?: number;
  /** Successful probes that close the circuit. Default 2; at most `halfOpenMaxCalls`. */
  successThreshold?: number;
  /** Re-open when probes are in flight and none reports back within this many ms. Default 30 000. */
  probeTimeout?: number;
  /**
   * Calls beyond `halfOpenMaxCalls` that wait for the probes instead of being rejected at once: they run
   * when the circuit closes and are rejected with `CircuitOpenError` when it re-opens, as cockatiel's
   * half-open test call makes them. Default 0 (no queue).
   */
  halfOpenMaxQueue?: number;
  /** Longest wait for the probes, in ms, before a queued call is rejected. Default 1 000. */
  halfOpenQueueTimeout?: number;
  /** Decides whether an error counts against the dependency. Default: 5xx, timeouts and unknown errors. */
  isFailure?: (error: unknown) => boolean;
  clock?: Clock;
  /** A state saved with `toJSON()`, to carry an open circuit across a restart. */
  initialState?: CircuitBreakerSnapshot;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

export type BreakerState =
  | { readonly state: 'closed'; readonly closedAt: number }
  | {
      readonly state: 'open';
      readonly openedAt: number;
      readonly openUntil: number;
      readonly isolated: boolean;
    }
  | { readonly state: 'half-open'; readonly halfOpenedAt: number; probes: number; successes: number };

export type TransitionReason =
  | 'failure-threshold'
  | 'failure-rate'
  | 'probe-failure'
  | 'probe-timeout'
  | 'open-elapsed'
  | 'probes-succeeded'
  | 'isolated'
  | 'released'
  | 'reset';

export interface BreakerStateChange {
  from: CircuitState;
  to: CircuitState;
  reason: TransitionReason;
  at: number;
}

export interface CircuitBreakerSnapshot {
  state: CircuitState;
  /** When the current state was entered (clock ms). */
  since: number;
  /** Open only: when probing may start; `null` while isolated. */
  openUntil?: number | null;
  isolated?: boolean;
  /** Failures inside the window now. */
  failures: number;
  failureTimes: number[];
  /** Openings since the circuit last closed; drives open-duration growth. */
  consecutiveOpens: number;
  probes?: number;
  successes?: number;
}

const STATES: readonly CircuitState[] = ['closed', 'open', 'half-open'];
// What admit() returns for a call that waits for the probes; generations start at 0.
const QUEUED = -1;

export class CircuitBreaker implements Policy {
  private current: BreakerState;
  // Bumped on every transition; a call settles only against the state it was admitted in, so a late
  // failure from before an opening cannot extend the open period or count as a probe.
  private generation = 0;
  private consecutiveOpens = 0;
  // isolate() handles not yet released; a reset() releases them all and starts a new epoch, so a
  // handle from before it cannot release a later isolation.
  private isolations = 0;
  private isolationEpoch = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly events = new Emitter<BreakerStateChange>();
  private readonly counts: FailureCountWindow;
  private readonly rates: FailureRateWindow | undefined;
  private readonly failureRateThreshold: number;
  private readonly minimumCalls: number;
  private readonly slowCallDuration: number;
  private readonly openDuration: number;
  private readonly openDurationMultiplier: number;
  private readonly maxOpenDuration: number;
  private readonly halfOpenMaxCalls: number;
  private readonly successThreshold: number;
  private readonly probeTimeout: number;
  // Holds the generation each waiter is admitted in: the closed one, or half-open for a freed probe place.
  private readonly probeQueue: WaitQueue<number>;
  private readonly isFailure: (error: unknown) => boolean;
  private readonly clock: Clock;
  // True when the success path must read the clock (slow calls or a rate window).
  private readonly timesCalls: boolean;
  // A success in the closed state restarts the failure count.
  private readonly consecutive: boolean;
  // True when a success in the closed state needs bookkeeping at all.
  private readonly watchesSuccess: boolean;

  constructor(options: CircuitBreakerOptions = {}) {
    const threshold = integerAtLeast(
      'failureThreshold',
      options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD,
      1,
    );
    const window = durationMs('failureWindow', options.failureWindow ?? DEFAULT_FAILURE_WINDOW_MS);
    this.consecutive =
      oneOf('failureCounting', options.failureCounting ?? DEFAULT_FAILURE_COUNTING, [
        'window',
        'consecutive',
      ]) === 'consecutive';
    // Failures in a row are counted however far apart they are.
    this.counts = new FailureCountWindow(threshold, this.consecutive ? Number.POSITIVE_INFINITY : window);
    this.failureRateThreshold =
      options.failureRateThreshold === undefined
        ? Number.POSITIVE_INFINITY
        : numberInRange('failureRateThreshold', options.failureRateThreshold, Number.MIN_VALUE, 1);
    this.rates = options.failureRateThreshold === undefined ? undefined : new FailureRateWindow(window);
    this.minimumCalls = integerAtLeast('minimumCalls', options.minimumCalls ?? DEFAULT_MINIMUM_CALLS, 1);
    this.slowCallDuration =
      options.slowCallDuration === undefined
        ? Number.POSITIVE_INFINITY
        : durationMs('slowCallDuration', options.slowCallDuration);
    this.openDuration = durationMs('openDuration', options.openDuration ?? DEFAULT_OPEN_DURATION_MS);
    this.openDurationMultiplier = numberInRange(
      'openDurationMultiplier',
      options.openDurationMultiplier ?? DEFAULT_OPEN_DURATION_MULTIPLIER,
      1,
      Number.MAX_VALUE,
    );
    this.maxOpenDuration = durationMs(
      'maxOpenDuration',
      options.maxOpenDuration ?? DEFAULT_MAX_OPEN_DURATION_MS,
    );
    if (this.maxOpenDuration < this.openDuration) {
      throw new InvalidOptionError(
        'maxOpenDuration',
        this.maxOpenDuration,
        `at least openDuration (${this.openDuration})`,
      );
    }
    this.halfOpenMaxCalls = integerAtLeast(
      'halfOpenMaxCalls',
      options.halfOpenMaxCalls ?? DEFAULT_HALF_OPEN_MAX_CALLS,
      1,
    );
    this.successThreshold = integerAtLeast(
      'successThreshold',
      options.successThreshold ?? DEFAULT_SUCCESS_THRESHOLD,
      1,
    );
    if (this.successThreshold > this.halfOpenMaxCalls) {
      throw new InvalidOptionError(
        'successThreshold',
        this.successThreshold,
        `at most halfOpenMaxCalls (${this.halfOpenMaxCalls}), or the circuit could never close`,
      );
    }
    this.probeTimeout = durationMs('probeTimeout', options.probeTimeout ?? DEFAULT_PROBE_TIMEOUT_MS);
    this.probeQueue = new WaitQueue(
      integerAtLeast('halfOpenMaxQueue', options.halfOpenMaxQueue ?? DEFAULT_HALF_OPEN_MAX_QUEUE, 0),
      durationMs('halfOpenQueueTimeout', options.halfOpenQueueTimeout ?? DEFAULT_HALF_OPEN_QUEUE_TIMEOUT_MS),
      () => new CircuitOpenError(1),
    );
    this.isFailure = fn('isFailure', options.isFailure ?? isDependencyFailure);
    this.clock = fn('clock', options.clock ?? systemClock);
    this.timesCalls = this.rates !== undefined || this.slowCallDuration !== Number.POSITIVE_INFINITY;
    this.watchesSuccess = this.timesCalls || this.consecutive;
    this.current = { state: 'closed', closedAt: this.clock() };
    if (options.initialState !== undefined) this.restore(options.initialState);
  }

  get state(): CircuitState {
    return this.current.state;
  }

  /** The current state with its own fields; a copy, so callers cannot change it. */
  get stateInfo(): BreakerState {
    return { ...this.current };
  }

  onStateChange(listener: (event: BreakerStateChange) => void): Dispose {
    return this.events.on(listener);
  }

  execute<T>(fn: Operation<T>, options?: ExecuteOptions): Promise<T> {
    let generation = -1;
    let startedAt = 0;
    let running: Promise<T>;
    try {
      generation = this.admit();
      if (generation === QUEUED) return this.waitForProbes(fn, options);
      if (this.timesCalls) startedAt = this.clock();
      const returned = fn(contextFrom(options));
      // A value or a foreign thenable is adopted; the common native promise is used as it is.
      running = returned instanceof Promise ? returned : Promise.resolve(returned);
    } catch (error) {
      // admit() refusing, or an operation that throws before returning its promise.
      if (generation >= 0) this.settleError(generation, error);
      return Promise.reject(error);
    }
    if (this.current.state === 'closed' && !this.watchesSuccess) {
      // Closed with nothing to time or restart, a success needs no bookkeeping: hand back the operation's
      // own promise and watch only for its failure. This saves an async frame and a microtask per call.
      running.then(undefined, (error: unknown) => this.settleError(generation, error));
      return running;
    }
    return running.then(
      (result) => {
        this.settleSuccess(generation, startedAt);
        return result;
      },
      (error: unknown) => {
        this.settleError(generation, error);
        throw error;
      },
    );
  }

  private async waitForProbes<T>(fn: Operation<T>, options: ExecuteOptions | undefined): Promise<T> {
    const generation = await this.probeQueue.wait(options?.signal);
    const s = this.current;
    // A probe place handed over is given back and taken again by execute() in this same turn, so no caller
    // can take it in between. A grant from a state the circuit has left since is no admission at all.
    if (generation === this.generation && s.state === 'half-open') s.probes--;
    return this.execute(fn, options);
  }

  /**
   * Forces the circuit open, for maintenance or a known outage, until `reset()` or until every handle
   * returned by `isolate()` has been called (cockatiel's counted isolation). Calling a handle twice,
   * or after a `reset()`, does nothing.
   */
  isolate(): Dispose {
    this.isolations++;
    this.toOpen('isolated', this.clock(), true);
    const epoch = this.isolationEpoch;
    let released = false;
    return () => {
      if (released || epoch !== this.isolationEpoch) return;
      released = true;
      if (--this.isolations === 0) this.toClosed('released', this.clock());
    };
  }

  /** Closes the circuit, releases every isolation and forgets every failure. */
  reset(): void {
    this.isolations = 0;
    this.isolationEpoch++;
    // Forgetting failures is not a transition, so a closed circuit forgets them and stays as it is.
    this.forgetFailures();
    this.toClosed('reset', this.clock());
  }

  toJSON(): CircuitBreakerSnapshot {
    const now = this.clock();
    const failureTimes = this.counts.recent(now);
    const base = { failures: failureTimes.length, failureTimes, consecutiveOpens: this.consecutiveOpens };
    const s = this.current;
    switch (s.state) {
      case 'closed':
        return { state: 'closed', since: s.closedAt, ...base };
      case 'open':
        return {
          state: 'open',
          since: s.openedAt,
          openUntil: s.isolated ? null : s.openUntil,
          isolated: s.isolated,
          ...base,
        };
      case 'half-open':
        return {
          state: 'half-open',
          since: s.halfOpenedAt,
          probes: s.probes,
          successes: s.successes,
          ...base,
        };
    }
  }

  /**
   * Releases the timer and every listener and rejects the calls waiting for probes; the breaker keeps
   * working and probes on the next call.
   */
  dispose(): void {
    this.clearTimer();
    this.events.clear();
    this.probeQueue.rejectAll(() => new CircuitOpenError(1));
  }

  /** Calls waiting for the half-open probes now. */
  get queued(): number {
    return this.probeQueue.length;
  }

  private admit(): number {
    let s = this.current;
    if (s.state === 'closed') return this.generation;
    if (s.state === 'open') {
      const now = this.clock();
      // The timer normally moves us to half-open; this covers a late timer or a disposed breaker.
      if (s.isolated || now < s.openUntil) throw new CircuitOpenError(this.retryAfterSeconds(s, now));
      this.toHalfOpen('open-elapsed', now);
      s = this.current;
    }
    if (s.state === 'half-open') {
      if (s.probes >= this.halfOpenMaxCalls) {
        if (this.probeQueue.full) throw new CircuitOpenError(1);
        return QUEUED;
      }
      s.probes++;
      if (this.timer === undefined) this.armTimer(this.probeTimeout);
    }
    return this.generation;
  }

  private settleError(generation: number, error: unknown): void {
    if (generation !== this.generation) return;
    const s = this.current;
    if (this.isFailure(error)) {
      this.onFailure(this.clock());
    } else if (s.state === 'half-open') {
      // The probe proved nothing either way, so its place goes to the next caller: the longest waiting.
      if (!this.probeQueue.grant(this.generation)) s.probes--;
      this.onProbeResult(s);
    } else if (this.rates !== undefined && s.state === 'closed') {
      this.rates.record(this.clock(), false);
    }
  }

  private settleSuccess(generation: number, startedAt: number): void {
    if (generation !== this.generation) return;
    const s = this.current;
    if (this.timesCalls) {
      const now = this.clock();
      if (now - startedAt >= this.slowCallDuration) {
        this.onFailure(now);
        return;
      }
      if (s.state === 'closed') this.rates?.record(now, false);
    }
    if (this.consecutive && s.state === 'closed') this.counts.clear();
    if (s.state === 'half-open') {
      s.successes++;
      if (s.successes >= this.successThreshold) this.toClosed('probes-succeeded', this.clock());
      else this.onProbeResult(s);
    }
  }

  private onFailure(now: number): void {
    const s = this.current;
    if (s.state === 'half-open') {
      this.toOpen('probe-failure', now, false);
    } else if (s.state === 'closed') {
      if (this.counts.record(now)) {
        this.toOpen('failure-threshold', now, false);
      } else if (this.rates !== undefined) {
        this.rates.record(now, true);
        const { calls, failures } = this.rates.totals();
        if (calls >= this.minimumCalls && failures / calls >= this.failureRateThreshold) {
          this.toOpen('failure-rate', now, false);
        }
      }
    }
  }

  private onProbeResult(s: BreakerState & { state: 'half-open' }): void {
    // A result shows the dependency answers; the clock restarts for the probes still out.
    this.clearTimer();
    if (s.probes > s.successes) this.armTimer(this.probeTimeout);
  }

  private toOpen(reason: TransitionReason, now: number, isolated: boolean): void {
    const from = this.leave('open', isolated);
    if (from === undefined) return;
    if (reason !== 'isolated') this.consecutiveOpens++;
    const duration = Math.min(
      this.openDuration * this.openDurationMultiplier ** Math.max(0, this.consecutiveOpens - 1),
      this.maxOpenDuration,
    );
    const open = {
      state: 'open',
      openedAt: now,
      openUntil: isolated ? Number.POSITIVE_INFINITY : now + duration,
      isolated,
    } as const;
    this.current = open;
    this.forgetFailures();
    if (!isolated) this.armTimer(duration);
    // Calls waiting for the probes are refused like any call arriving now.
    const retryAfter = this.retryAfterSeconds(open, now);
    this.probeQueue.rejectAll(() => new CircuitOpenError(retryAfter));
    this.transitioned(from, 'open', reason, now);
  }

  private toHalfOpen(reason: TransitionReason, now: number): void {
    const from = this.leave('half-open', false);
    if (from === undefined) return;
    this.current = { state: 'half-open', halfOpenedAt: now, probes: 0, successes: 0 };
    this.transitioned(from, 'half-open', reason, now);
  }

  private toClosed(reason: TransitionReason, now: number): void {
    const from = this.leave('closed', false);
    if (from === undefined) return;
    this.current = { state: 'closed', closedAt: now };
    this.consecutiveOpens = 0;
    this.forgetFailures();
    while (this.probeQueue.grant(this.generation));
    this.transitioned(from, 'closed', reason, now);
  }

  /**
   * The first step of every transition. A move to the state the circuit is in already (an isolated
   * circuit counts as its own state) changes nothing, so it is refused: it returns `undefined`, emits
   * nothing and keeps the calls in flight counting. Otherwise it bumps `generation` first, so timers
   * armed during the transition belong to the new state, and returns the state being left.
   */
  private leave(to: CircuitState, isolated: boolean): CircuitState | undefined {
    const s = this.current;
    if (s.state === to && (s.state !== 'open' || s.isolated === isolated)) return undefined;
    this.generation++;
    this.clearTimer();
    return s.state;
  }

  private forgetFailures(): void {
    this.counts.clear();
    this.rates?.clear();
  }

  private transitioned(from: CircuitState, to: CircuitState, reason: TransitionReason, at: number): void {
    this.events.emit({ from, to, reason, at });
  }

  private armTimer(ms: number): void {
    const generation = this.generation;
    this.timer = setTimeout(() => this.onTimer(generation), ms);
    // A breaker must never keep a process alive on its own.
    this.timer.unref();
  }

  private onTimer(generation: number): void {
    this.timer = undefined;
    if (generation !== this.generation) return;
    const s = this.current;
    if (s.state === 'open') this.toHalfOpen('open-elapsed', this.clock());
    else if (s.state === 'half-open') this.toOpen('probe-timeout', this.clock(), false);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private retryAfterSeconds(s: BreakerState & { state: 'open' }, now: number): number {
    const remaining = s.isolated ? this.openDuration : s.openUntil - now;
    return Math.max(1, Math.ceil(remaining / 1000));
  }

  private restore(snapshot: CircuitBreakerSnapshot): void {
    if (typeof snapshot !== 'object' || snapshot === null || !STATES.includes(snapshot.state)) {
      throw new InvalidOptionError('initialState', snapshot, 'a snapshot from CircuitBreaker.toJSON()');
    }
    if (!Number.isFinite(snapshot.since) || !Array.isArray(snapshot.failureTimes)) {
      throw new InvalidOptionError(
        'initialState',
        snapshot,
        'a snapshot with numeric since and failureTimes',
      );
    }
    this.consecutiveOpens = integerAtLeast(
      'initialState.consecutiveOpens',
      snapshot.consecutiveOpens ?? 0,
      0,
    );
    switch (snapshot.state) {
      case 'closed':
        this.current = { state: 'closed', closedAt: snapshot.since };
        for (const t of snapshot.failureTimes) this.counts.record(t);
        return;
      case 'open': {
        const isolated = snapshot.isolated === true || snapshot.openUntil === null;
        const openUntil = isolated ? Number.POSITIVE_INFINITY : Number(snapshot.openUntil);
        if (!isolated && !Number.isFinite(openUntil)) {
          throw new InvalidOptionError('initialState.openUntil', snapshot.openUntil, 'a clock time in ms');
        }
        this.current = { state: 'open', openedAt: snapshot.since, openUntil, isolated };
        if (!isolated) this.armTimer(Math.max(0, openUntil - this.clock()));
        return;
      }
      case 'half-open':
        // Probes in flight died with the old process, so half-open starts over.
        this.current = { state: 'half-open', halfOpenedAt: snapshot.since, probes: 0, successes: 0 };
        return;
    }
  }
}

export function circuitBreaker(options?: CircuitBreakerOptions): CircuitBreaker {
  return new CircuitBreaker(options);
}
