export type CheckStatus = 'healthy' | 'degraded' | 'unhealthy';

/** What a check may return; returning nothing means healthy. */
export interface CheckOutcome {
  status: CheckStatus;
  message?: string;
}

export interface HealthCheck {
  name: string;
  /** An unhealthy critical check makes the instance not ready; a non-critical one only degrades it. */
  critical: boolean;
  /** Defaults to the plugin's `defaultTimeoutMs` (2 s). */
  timeoutMs?: number;
  /** Aborted at the deadline; a check that ignores the signal is still reported unhealthy at the deadline. */
  check(signal: AbortSignal): Promise<CheckOutcome | undefined> | CheckOutcome | undefined;
}

export interface CheckResult {
  name: string;
  status: CheckStatus;
  critical: boolean;
  latencyMs: number;
  message: string | null;
}

export const DEFAULT_CHECK_TIMEOUT_MS = 2000;

const STATUSES = new Set<CheckStatus>(['healthy', 'degraded', 'unhealthy']);

/** Runs one check under its deadline. Never throws: a throw, a timeout or a bad outcome is `unhealthy`. */
export async function runCheck(
  check: HealthCheck,
  defaultTimeoutMs = DEFAULT_CHECK_TIMEOUT_MS,
): Promise<CheckResult> {
  const timeoutMs = check.timeoutMs ?? defaultTimeoutMs;
  const controller = new AbortController();
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error(`timed out after ${timeoutMs} ms`));
      resolve({ status: 'unhealthy', message: `timed out after ${timeoutMs} ms` });
    }, timeoutMs);
  });
  let outcome: CheckOutcome;
  try {
    const result = await Promise.race([
      Promise.resolve().then(() => check.check(controller.signal)),
      deadline,
    ]);
    outcome = result ?? { status: 'healthy' };
    if (!STATUSES.has(outcome.status)) {
      outcome = {
        status: 'unhealthy',
        message: `check returned an unknown status ${JSON.stringify(outcome.status)}`,
      };
    }
  } catch (error) {
    outcome = { status: 'unhealthy', message: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
  return {
    name: check.name,
    status: outcome.status,
    critical: check.critical,
    latencyMs: Math.round((performance.now() - started) * 100) / 100,
    message: outcome.message ?? null,
  };
}
