// The command-line tools deploy's tests run (promtool, amtool, sh): whether one is on PATH, and an asynchronous
// run, since a long synchronous one would block the Vitest worker past its RPC timeout.
import { execFile, execFileSync } from 'node:child_process';

// A guard against a hang, not a speed check: the longest run, promtool over users-api's rule unit tests, reads the
// 1d, 3d and 30d windows at every evaluation of two simulated days, 25 to 35 CPU-seconds alone and over 180 s of
// wall-clock under CI's parallel load.
export const TOOL_TIMEOUT_MS = 600_000;

/** Locally the tools are optional; in CI a missing one must not pass silently. */
export const inCi = process.env.CI === 'true';

export function has(tool) {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function run(tool, args, options = {}) {
  return new Promise((resolve) => {
    execFile(tool, args, { timeout: TOOL_TIMEOUT_MS, ...options }, (error, stdout, stderr) =>
      resolve({ status: error ? (error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}
