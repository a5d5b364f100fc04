import type { FastifyInstance } from 'fastify';

export interface GracefulShutdownOptions {
  /** How long readiness fails before the server closes, so load balancers stop sending traffic. */
  delayMs: number;
  /** How long in-flight requests may take to finish before their connections are cut. */
  timeoutMs: number;
  /** Ends the process; replaceable in tests. */
  exit?: (code: number) => void;
}

/**
 * SIGTERM and SIGINT shut the app down in order: readiness fails at once; after `delayMs` the server stops
 * accepting connections and in-flight requests finish (bounded by `timeoutMs`); then every shutdown handler runs
 * with its own timeout (pool, embedded PostgreSQL, ...); exit 0, or 1 if anything failed or timed out. An uncaught
 * exception or unhandled rejection is logged and takes the same path with exit 1. Returns the trigger, so other
 * code shuts down through the same path.
 */
export function installGracefulShutdown(app: FastifyInstance, options: GracefulShutdownOptions) {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let shutdown: Promise<void> | undefined;
  const detach = () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };

  const trigger = (reason: string, exitCode = 0): Promise<void> => {
    shutdown ??= (async () => {
      app.lifecycle.beginShutdown(reason);
      app.log.info({ reason, delayMs: options.delayMs }, 'shutdown: started; readiness now fails');
      if (options.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      app.log.info('shutdown: no longer accepting connections; draining in-flight requests');
      let code = exitCode;
      const deadline = setTimeout(() => {
        app.log.error(
          { timeoutMs: options.timeoutMs },
          'shutdown: drain timed out; closing remaining connections',
        );
        code = 1;
        app.server.closeAllConnections();
      }, options.timeoutMs);
      deadline.unref();
      try {
        await app.close();
      } catch (error) {
        app.log.error({ err: error }, 'shutdown: a close step failed');
        code = 1;
      }
      clearTimeout(deadline);
      if (app.lifecycle.failures.length > 0) code = 1;
      app.log.info({ exitCode: code }, 'shutdown: complete');
      detach();
      exit(code);
    })();
    return shutdown;
  };

  const onSignal = (signal: NodeJS.Signals) => void trigger(signal);
  const onCrash = (kind: string) => (error: unknown) => {
    app.log.fatal({ err: error }, `${kind}; shutting down`);
    void trigger(kind, 1);
  };
  const onException = onCrash('uncaught exception');
  const onRejection = onCrash('unhandled rejection');
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return trigger;
}
