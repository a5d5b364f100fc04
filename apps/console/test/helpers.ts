import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@steadfast/http';
import { type ConsoleConfig, ConsoleConfigSchema } from '../src/config.js';

export function consoleConfig(env: Record<string, string> = {}): ConsoleConfig {
  return loadConfig(ConsoleConfigSchema, { NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: '0', ...env });
}

/** A stand-in for the built page, for tests of the server alone. */
export async function fakeWebRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'console-web-'));
  await writeFile(join(root, 'index.html'), '<!doctype html><title>console</title>');
  return root;
}
