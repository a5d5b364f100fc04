import { Writable } from 'node:stream';
import { loadConfig } from '@steadfast/http';
import { type BaseConfig, BaseConfigSchema } from '../src/config.js';

export function testConfig(env: Record<string, string> = {}): BaseConfig {
  // Metrics collected on every scrape, so a test reads what it just did.
  return loadConfig(BaseConfigSchema, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    METRICS_REFRESH_MS: '0',
    ...env,
  });
}

/** A log destination that keeps every JSON line for assertions. */
export function logCapture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { stream, lines, text: () => lines.map((line) => JSON.stringify(line)).join('\n') };
}
