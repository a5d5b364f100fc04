import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { HealthCheck } from './check.js';

export interface EventLoopCheckOptions {
  /** Mean delay over the last interval at or above which the check is degraded. */
  degradedMs?: number;
  /** ... and unhealthy. */
  unhealthyMs?: number;
  critical?: boolean;
}

export const DEFAULT_EVENT_LOOP_DEGRADED_MS = 100;
export const DEFAULT_EVENT_LOOP_UNHEALTHY_MS = 1000;

/**
 * Event-loop delay since the previous check (p99 of a 20 ms-resolution histogram). The histogram is sampling
 * from creation; `dispose` stops it (the plugin does so on close).
 */
export function eventLoopCheck(options: EventLoopCheckOptions = {}): HealthCheck & { dispose(): void } {
  const degradedMs = options.degradedMs ?? DEFAULT_EVENT_LOOP_DEGRADED_MS;
  const unhealthyMs = options.unhealthyMs ?? DEFAULT_EVENT_LOOP_UNHEALTHY_MS;
  const histogram = monitorEventLoopDelay({ resolution: 20 });
  histogram.enable();
  return {
    name: 'event-loop',
    critical: options.critical ?? false,
    check() {
      const p99 = Number.isNaN(histogram.percentile(99)) ? 0 : histogram.percentile(99) / 1e6;
      histogram.reset();
      const message = `event-loop delay p99 ${p99.toFixed(1)} ms`;
      if (p99 >= unhealthyMs) return { status: 'unhealthy', message };
      if (p99 >= degradedMs) return { status: 'degraded', message };
      return { status: 'healthy', message };
    },
    dispose: () => histogram.disable(),
  };
}

export interface MemoryCheckOptions {
  /** Heap used / heap limit at or above which the check is degraded (0–1). */
  heapDegradedRatio?: number;
  /** RSS in bytes at or above which the check is unhealthy. */
  maxRssBytes?: number;
  critical?: boolean;
  /** Readings, replaceable in tests. */
  read?: () => { heapUsed: number; heapLimit: number; rss: number };
}

export const DEFAULT_HEAP_DEGRADED_RATIO = 0.9;

async function readMemory() {
  const { getHeapStatistics } = await import('node:v8');
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, heapLimit: getHeapStatistics().heap_size_limit, rss };
}

/** Heap against the V8 limit and RSS against a ceiling. */
export function memoryCheck(options: MemoryCheckOptions = {}): HealthCheck {
  const heapRatio = options.heapDegradedRatio ?? DEFAULT_HEAP_DEGRADED_RATIO;
  return {
    name: 'memory',
    critical: options.critical ?? false,
    async check() {
      const { heapUsed, heapLimit, rss } = options.read ? options.read() : await readMemory();
      const mb = (bytes: number) => `${Math.round(bytes / 1048576)} MiB`;
      const message = `heap ${mb(heapUsed)} of ${mb(heapLimit)}, rss ${mb(rss)}`;
      if (options.maxRssBytes !== undefined && rss >= options.maxRssBytes)
        return { status: 'unhealthy', message };
      if (heapUsed / heapLimit >= heapRatio) return { status: 'degraded', message };
      return { status: 'healthy', message };
    },
  };
}
