import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ServerAccount } from './reachable.js';

/** Messages in English, whatever the machine's locale: readiness is read from the server's log. */
const MESSAGES_LOCALE = 'C';
const READY = 'database system is ready to accept connections';
/** How long a fast shutdown may take before the server is killed. */
const STOP_TIMEOUT_MS = 30_000;

/**
 * Runs `postgres "$@"` and stops it (fast shutdown) when its standard input reaches end of file, that is when the
 * process holding the other end closes it or dies, SIGKILL included: the server never outlives its owner. The
 * server runs in the background with fd 3 closed, so only this shell and its watcher hold the pipe.
 */
const SUPERVISOR = `
exec 3<&0
"$0" "$@" 3<&- &
server=$!
{ read -r _ <&3; kill -INT "$server" 2>/dev/null; } &
watcher=$!
wait "$server"
status=$?
kill "$watcher" 2>/dev/null
exit "$status"
`;

export interface ServerProcess {
  /** Resolves once the server accepts connections; rejects with its last log lines when it exits first. */
  ready: Promise<void>;
  /** Fast shutdown; resolves when the server has exited. */
  stop(): Promise<void>;
}

function spawnOptions(account: ServerAccount | undefined) {
  return {
    ...(account ?? {}),
    env: { ...process.env, LC_MESSAGES: MESSAGES_LOCALE, LC_ALL: undefined, LANG: undefined },
  };
}

/** Runs `initdb` once, as the server's account, and rejects with its output when it fails. */
export function initialiseCluster(
  binaries: string,
  args: readonly string[],
  account: ServerAccount | undefined,
): Promise<void> {
  return new Promise((resolveInit, reject) => {
    const child = spawn(join(binaries, 'bin', 'initdb'), args, { ...spawnOptions(account), stdio: 'pipe' });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('close', (code, signal) =>
      code === 0
        ? resolveInit()
        : reject(new Error(`initdb failed (${signal ?? `exit code ${code}`}):\n${output.trim()}`)),
    );
  });
}

/**
 * Starts the server in a session of its own (`detached`), so the terminal's Ctrl-C reaches only the service, which
 * drains and then stops the server; the supervisor above stops it if the service dies without doing so.
 */
export function startServer(
  binaries: string,
  args: readonly string[],
  account: ServerAccount | undefined,
  log: (line: string) => void,
): ServerProcess {
  const child: ChildProcess = spawn(
    '/bin/sh',
    ['-c', SUPERVISOR, join(binaries, 'bin', 'postgres'), ...args],
    { ...spawnOptions(account), stdio: ['pipe', 'ignore', 'pipe'], detached: true },
  );
  const recent: string[] = [];
  const exited = new Promise<number | null>((resolveExit) => {
    child.once('exit', (code) => resolveExit(code));
    child.once('error', (error) => {
      recent.push(String(error));
      resolveExit(null);
    });
  });
  const ready = new Promise<void>((resolveReady, reject) => {
    let buffered = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        recent.push(line);
        if (recent.length > 20) recent.shift();
        log(line);
        if (line.includes(READY)) resolveReady();
      }
    });
    void exited.then((code) =>
      reject(new Error(`PostgreSQL exited (${code ?? 'did not start'}):\n${recent.join('\n')}`)),
    );
  });
  // Once it runs, neither the server nor its pipes keep this process alive: when this process exits, the pipe
  // closes and the server stops. While starting and stopping they do, so the caller's await completes.
  const handles = [child, child.stdin, child.stderr] as unknown as { ref(): void; unref(): void }[];
  ready.then(
    () => {
      for (const handle of handles) handle.unref();
    },
    () => undefined,
  );

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    for (const handle of handles) handle.ref();
    child.stdin?.end();
    const timer = setTimeout(() => {
      // The shell leads its own process group, which the server shares.
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, STOP_TIMEOUT_MS);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  return { ready, stop };
}
