import type { FastifyBaseLogger } from 'fastify';

export interface StopVerdict {
  stop: boolean;
  reason: string;
}

/** Something that says when an experiment must end, such as an SLO burning its error budget too fast. */
export interface StopCondition {
  check(): Promise<StopVerdict> | StopVerdict;
  /** How often to ask while faults are active (ms). */
  intervalMs?: number;
}

export const DEFAULT_STOP_CHECK_INTERVAL_MS = 5000;

export interface StopWatch {
  /** Whether any fault is active; the condition is only asked while one is. */
  hasActiveFaults(): boolean;
  stopAll(reason: string): Promise<void>;
  log: FastifyBaseLogger;
}

/** Asks the condition every `intervalMs` and ends every fault when it says stop. Returns the disposer. */
export function watchStopCondition(condition: StopCondition, watch: StopWatch): () => void {
  let checking = false;
  const tick = async () => {
    if (checking || !watch.hasActiveFaults()) return;
    checking = true;
    try {
      let verdict: StopVerdict;
      try {
        verdict = await condition.check();
      } catch (error) {
        // A safety check that cannot answer is treated as a stop: the experiment runs blind otherwise.
        const message = error instanceof Error ? error.message : String(error);
        verdict = { stop: true, reason: `the stop condition failed: ${message}` };
      }
      if (verdict.stop) {
        watch.log.warn({ reason: verdict.reason }, 'chaos: stop condition met; removing every fault');
        await watch.stopAll(verdict.reason);
      }
    } catch (error) {
      watch.log.error({ err: error }, 'chaos: could not remove the faults after the stop condition');
    } finally {
      checking = false;
    }
  };
  const timer = setInterval(
    () => void tick(),
    condition.intervalMs ?? DEFAULT_STOP_CHECK_INTERVAL_MS,
  ).unref();
  return () => clearInterval(timer);
}
