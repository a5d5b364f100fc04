import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export type StepState = 'pending' | 'done' | 'failed';

export interface StartupStep {
  name: string;
  state: StepState;
  durationMs: number | null;
  error?: string;
}

interface ShutdownHandler {
  name: string;
  run: () => Promise<void> | void;
  timeoutMs: number;
}

export const DEFAULT_SHUTDOWN_HANDLER_TIMEOUT_MS = 5000;

const round = (ms: number) => Math.round(ms * 10) / 10;

/**
 * The service's life from first step to last: startup steps (config, database, migrations, warm-up hooks) and
 * shutdown (readiness off, then handlers such as closing the pool, each with its own timeout). The health
 * plugin reads it; the service kit's graceful shutdown drives it. One object, so there is one shutdown mechanism.
 */
export class Lifecycle {
  readonly #steps = new Map<string, StartupStep>();
  readonly #warmups: Array<{ name: string; run: () => Promise<void> | void }> = [];
  readonly #handlers: ShutdownHandler[] = [];
  readonly #shutdownListeners: Array<(reason: string) => void> = [];
  readonly #createdAt = performance.now();
  #completedAt: number | undefined;
  #shutdownReason: string | undefined;
  /** Names of shutdown handlers that failed or timed out; a non-empty list means exit 1. */
  readonly failures: string[] = [];

  constructor(private readonly log: FastifyInstance['log']) {}

  /** Records a step that finished before the app existed (reading the config); its duration is unknown here. */
  record(name: string): void {
    this.#steps.set(name, { name, state: 'done', durationMs: null });
  }

  /** Runs a startup step, recording its state and duration; a failure is recorded and rethrown. */
  async step<T>(name: string, work: () => Promise<T>): Promise<T> {
    const entry: StartupStep = { name, state: 'pending', durationMs: null };
    this.#steps.set(name, entry);
    const started = performance.now();
    try {
      const result = await work();
      entry.state = 'done';
      return result;
    } catch (error) {
      entry.state = 'failed';
      entry.error = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      entry.durationMs = round(performance.now() - started);
    }
  }

  /** A warm-up hook runs once the app is ready; startup is complete only when every one has finished. */
  addWarmup(name: string, run: () => Promise<void> | void): void {
    this.#warmups.push({ name, run });
    this.#steps.set(`warm-up: ${name}`, { name: `warm-up: ${name}`, state: 'pending', durationMs: null });
  }

  /** Called once the app is ready: runs the warm-up hooks, then marks startup complete. */
  async runWarmups(): Promise<void> {
    for (const warmup of this.#warmups) {
      try {
        await this.step(`warm-up: ${warmup.name}`, async () => warmup.run());
      } catch (error) {
        this.log.error({ err: error, warmup: warmup.name }, 'startup: warm-up hook failed');
        return;
      }
    }
    this.#completedAt = performance.now();
    this.log.info({ startupDurationMs: this.startupDurationMs }, 'startup: complete');
  }

  get steps(): StartupStep[] {
    return [...this.#steps.values()].map((step) => ({ ...step }));
  }

  get startupComplete(): boolean {
    return this.#completedAt !== undefined;
  }

  get startupDurationMs(): number | null {
    return this.#completedAt === undefined ? null : round(this.#completedAt - this.#createdAt);
  }

  get shuttingDown(): boolean {
    return this.#shutdownReason !== undefined;
  }

  /** Readiness fails from here on; in-flight and new requests are still served until the server closes. */
  beginShutdown(reason: string): void {
    if (this.#shutdownReason !== undefined) return;
    this.#shutdownReason = reason;
    for (const listener of this.#shutdownListeners) listener(reason);
  }

  /**
   * Runs `listener` the moment shutdown begins, while the server still serves and drains: work that must stop
   * before in-flight requests finish (fault injection, say). Shutdown handlers run later, after the drain.
   */
  onShutdownStart(listener: (reason: string) => void): void {
    this.#shutdownListeners.push(listener);
  }

  /**
   * Registers work for the end of shutdown, after in-flight requests have drained. Handlers run last-registered
   * first (a plugin registered later may depend on one registered earlier: flush data before closing the pool).
   */
  addShutdownHandler(
    name: string,
    run: () => Promise<void> | void,
    timeoutMs = DEFAULT_SHUTDOWN_HANDLER_TIMEOUT_MS,
  ) {
    this.#handlers.push({ name, run, timeoutMs });
  }

  async runShutdownHandlers(): Promise<void> {
    for (const handler of [...this.#handlers].reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${handler.timeoutMs} ms`)),
          handler.timeoutMs,
        );
        timer.unref();
      });
      try {
        await Promise.race([Promise.resolve().then(handler.run), deadline]);
        this.log.info({ handler: handler.name }, `shutdown: ${handler.name} done`);
      } catch (error) {
        this.failures.push(handler.name);
        this.log.error({ err: error, handler: handler.name }, `shutdown: ${handler.name} failed`);
      } finally {
        clearTimeout(timer);
      }
    }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: Lifecycle;
  }
}

export const LIFECYCLE_PLUGIN = '@steadfast/http/lifecycle';

/**
 * Registered first, so its onClose hook runs last: after the server has stopped and drained and every other
 * plugin's onClose hook has run. Plugins that add shutdown handlers or read the startup state declare it in their
 * `dependencies`.
 */
export const lifecyclePlugin = fp(
  async (app: FastifyInstance) => {
    const lifecycle = new Lifecycle(app.log);
    app.decorate('lifecycle', lifecycle);
    app.addHook('onReady', function startWarmups(done) {
      // Not awaited: the server starts listening meanwhile, and startup probes watch the warm-up finish.
      void lifecycle.runWarmups();
      done();
    });
    // A close that no signal started (tests, an embedding host) still fails readiness first.
    app.addHook('preClose', async () => lifecycle.beginShutdown('app closing'));
    app.addHook('onClose', () => lifecycle.runShutdownHandlers());
  },
  { name: LIFECYCLE_PLUGIN, fastify: '5.x' },
);
