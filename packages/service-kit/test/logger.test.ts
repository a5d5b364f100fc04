import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { pino, stdTimeFunctions } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { censorSecrets, isoTimeField, loggerOptions } from '../src/logger.js';
import { logCapture } from './helpers.js';

const SECRET = 'sekrit-value-7f3a';
const secretKey = fc.constantFrom(
  'authorization',
  'Authorization',
  'cookie',
  'set-cookie',
  'password',
  'token',
  'apikey',
  'apiKey',
  'secret',
);
// Keys a log line really carries, none of them secret-named.
const plainKey = fc.constantFrom(
  'method',
  'url',
  'headers',
  'user',
  'body',
  'err',
  'requestId',
  'count',
  'items',
);
const plainValue = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null));

// An object up to three levels deep whose leaves never hold the secret.
const plainObject = fc.letrec((tie) => ({
  node: fc.dictionary(
    plainKey,
    fc.oneof({ depthSize: 'small' }, plainValue, tie('node'), fc.array(plainValue, { maxLength: 3 })),
    { maxKeys: 4 },
  ),
})).node as fc.Arbitrary<Record<string, unknown>>;

/** Puts a secret-named key holding SECRET at `path` (each step an existing or new object). */
function withSecretAt(object: Record<string, unknown>, path: string[], key: string): Record<string, unknown> {
  const copy = structuredClone(object);
  let at = copy;
  for (const step of path) {
    const next = at[step];
    at[step] = next !== null && typeof next === 'object' && !Array.isArray(next) ? next : {};
    at = at[step] as Record<string, unknown>;
  }
  at[key] = SECRET;
  return copy;
}

describe('censorSecrets', () => {
  it('replaces a secret-named key at the top level or one or two objects down, and changes nothing else', () => {
    fc.assert(
      fc.property(plainObject, fc.array(plainKey, { maxLength: 2 }), secretKey, (object, path, key) => {
        const input = withSecretAt(object, path, key);
        const before = structuredClone(input);
        const output = censorSecrets(input);
        expect(JSON.stringify(output)).not.toContain(SECRET);
        expect(input).toEqual(before);
        // Every other value is where it was: putting the secret back gives the input.
        expect(withSecretAt(output, path, key)).toEqual(input);
      }),
    );
  });

  it('returns an object without secrets as it is, without copying it', () => {
    fc.assert(
      fc.property(plainObject, (object) => {
        expect(censorSecrets(object)).toBe(object);
      }),
    );
  });

  it('leaves secrets deeper than two objects down to the caller', () => {
    const deep = { a: { b: { c: { token: SECRET } } } };
    expect(censorSecrets(deep)).toBe(deep);
  });
});

describe('the service logger', () => {
  it('writes no secret from the fields or an error', () => {
    const logs = logCapture();
    const log = pino(loggerOptions({ service: 'kit-test', level: 'info' }), logs.stream);
    const error = Object.assign(new Error('upstream refused'), {
      config: { headers: { authorization: SECRET } },
    });
    log.info(
      { req: { headers: { authorization: `Bearer ${SECRET}`, cookie: SECRET, accept: '*/*' } } },
      'in',
    );
    log.error({ err: error, password: SECRET }, 'failed');
    expect(logs.text()).not.toContain(SECRET);
    expect(logs.lines[0]).toMatchObject({ msg: 'in', req: { headers: { accept: '*/*' } } });
    expect(logs.lines[1]).toMatchObject({ password: '[REDACTED]', err: { message: 'upstream refused' } });
  });
});

// Runs against the built kit, as the service runs it: stdout is a pipe here.
const LOG_LINES = fileURLToPath(new URL('./fixtures/log-lines.js', import.meta.url));

function logLines(env: Record<string, string>) {
  const child = spawn(process.execPath, [LOG_LINES], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('isoTimeField', () => {
  it("writes pino's isoTime at every millisecond, however the calls fall (repeats, jumps, a clock set back)", () => {
    vi.useFakeTimers();
    try {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: 4_102_444_800_000 }), { maxLength: 40 }), (times) => {
          const time = isoTimeField();
          for (const ms of [...times, ...times.slice(0, 5)]) {
            vi.setSystemTime(ms);
            expect(time()).toBe(stdTimeFunctions.isoTime());
          }
        }),
      );
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('the production log destination (stdout)', () => {
  it('writes a line of a quiet service while the process runs on, not only at exit', async () => {
    const { child, output, exited } = logLines({ LINES: '1', STAY_MS: '10000' });
    try {
      await vi.waitFor(() => expect(output()).toContain('\n'), { timeout: 5000, interval: 20 });
      expect(child.exitCode).toBeNull();
      expect(JSON.parse(output())).toMatchObject({ service: 'log-lines', n: 0, msg: 'line' });
    } finally {
      child.kill();
      await exited;
    }
  });

  it('loses no line when the process exits at once', async () => {
    const { output, exited } = logLines({ LINES: '1000', EXIT: 'now' });
    expect(await exited).toBe(0);
    const lines = output()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line).n);
    expect(lines).toEqual(Array.from({ length: 1000 }, (_, n) => n));
  });
});
