// Processes a test or a bench starts: free of vitest, so a bench run with plain node can use them too.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** A loopback port free right now, for a process a test starts (a server, redis-server, …). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** A service started as its own process, the way `pnpm start` runs it. */
export interface ServiceProcess {
  child: ChildProcess;
  /** Where it listens, read from its "listening" log line. */
  url: string;
  /** Everything it has printed so far (stdout and stderr). */
  output(): string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const baseEnv = (env: Record<string, string>) => ({ PATH: process.env.PATH ?? '', ...env });

/**
 * Starts `node <script>` with only PATH and `env` in its environment (so the test's own variables never leak in)
 * and resolves once the service logs the address it listens on. `inTerminal` starts it as a terminal would: in a
 * process group of its own, which `stop` then signals as a whole, as Ctrl-C does.
 */
export function startServiceProcess(
  script: string,
  env: Record<string, string> = {},
  { inTerminal = false }: { inTerminal?: boolean } = {},
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [script], {
    env: baseEnv({ NODE_ENV: 'test', LOG_LEVEL: 'info', PORT: '0', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
    // A terminal runs a command as a process group of its own and Ctrl-C signals that whole group.
    detached: inTerminal,
  });
  let output = '';
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const exited = child.exitCode === null ? once(child, 'exit') : Promise.resolve([child.exitCode]);
    if (inTerminal) process.kill(-(child.pid as number), signal);
    else child.kill(signal);
    const [code] = await exited;
    return code as number | null;
  };
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /"address":"(http:\/\/[^"]+)"/.exec(output);
      if (match?.[1]) resolve({ child, url: match[1], output: () => output, stop });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`${script} exited with ${code} before listening:\n${output}`)),
    );
  });
}

/** Runs `node <script>` to completion (a service expected to refuse to start) and reports how it ended. */
export async function runServiceProcess(script: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [script], { env: baseEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const [code] = await once(child, 'exit');
  return { code: code as number | null, stdout, stderr };
}
