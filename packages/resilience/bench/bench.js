// Per-call overhead of our policies against cockatiel's and opossum's circuit breakers.
// Runs against ../dist, so build first: `pnpm --filter @steadfast/resilience build && ... bench`.
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConsecutiveBreaker, circuitBreaker as cockatielBreaker, handleAll } from 'cockatiel';
import Opossum from 'opossum';
import { circuitBreaker, retry, timeout, wrap } from '../dist/index.js';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const WARMUP_ROUNDS = 2;

const op = async () => 1;

const ours = circuitBreaker();
const composition = wrap(retry(), circuitBreaker(), timeout({ duration: 10_000 }));
const cockatiel = cockatielBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) });
// opossum wraps one function; handing it the operation keeps the call shape the same as the others.
const opossumDefault = new Opossum((fn) => fn(), {});
const opossumNoTimeout = new Opossum((fn) => fn(), { timeout: false });

const subjects = [
  ['bare async call', () => op()],
  ['@steadfast breaker', () => ours.execute(op)],
  ['@steadfast timeout+retry+breaker', () => composition.execute(op)],
  ['cockatiel ConsecutiveBreaker', () => cockatiel.execute(op)],
  ['opossum breaker (default, 10 s timeout)', () => opossumDefault.fire(op)],
  ['opossum breaker (timeout: false)', () => opossumNoTimeout.fire(op)],
];

async function round(call) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) await call();
  return Number(process.hrtime.bigint() - start) / ITERATIONS;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const samples = new Map(subjects.map(([name]) => [name, []]));
for (let r = 0; r < WARMUP_ROUNDS; r++) for (const [, call] of subjects) await round(call);
// Interleaving subjects round by round spreads GC and CPU-frequency noise over all of them.
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, call] of subjects) samples.get(name).push(await round(call));
}

const bare = median(samples.get('bare async call'));
const rows = subjects.map(([name]) => {
  const ns = median(samples.get(name));
  return { name, ns, ratio: ns / bare };
});

// Padded like biome formats Markdown tables, so the written file passes `biome check`.
function markdownTable(header, body, rightAligned) {
  const widths = header.map((h, i) => Math.max(h.length, 3, ...body.map((row) => row[i].length)));
  const line = (cells) =>
    `| ${cells.map((c, i) => (rightAligned[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (rightAligned[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

const table = markdownTable(
  ['subject', 'ns/op (median)', '× bare call'],
  rows.map((r) => [r.name, r.ns.toFixed(1), r.ratio.toFixed(2)]),
  [false, true, true],
);

const byName = Object.fromEntries(rows.map((r) => [r.name, r.ns]));
const checks = [
  [
    'our breaker is cheaper than cockatiel',
    byName['@steadfast breaker'] < byName['cockatiel ConsecutiveBreaker'],
  ],
  [
    'our breaker is cheaper than opossum (timeout: false)',
    byName['@steadfast breaker'] < byName['opossum breaker (timeout: false)'],
  ],
  [
    'our composition is cheaper than opossum (default)',
    byName['@steadfast timeout+retry+breaker'] < byName['opossum breaker (default, 10 s timeout)'],
  ],
];

console.log(table);
for (const [label, ok] of checks) console.log(`${ok ? 'PASS' : 'MISS'}: ${label}`);

const doc = `# Benchmarks

Per-call overhead of a successful call through each policy, measured by \`bench/bench.js\`
(\`pnpm --filter @steadfast/resilience bench\`). Each subject runs ${ITERATIONS.toLocaleString('en')} awaited
calls per round, ${WARMUP_ROUNDS} warm-up rounds, then ${ROUNDS} measured rounds interleaved across subjects;
the table shows the median round. The operation is \`async () => 1\`.

Node ${process.version}, ${process.platform}/${process.arch}, ${new Date().toISOString().slice(0, 10)}.

${table}

${checks.map(([label, ok]) => `- ${ok ? 'met' : 'missed'}: ${label}`).join('\n')}

Cockatiel runs \`circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) })\`.
Opossum wraps \`(fn) => fn()\` and is fired with the operation; its default arms a 10 s timer per call,
so it is measured both with the default and with \`timeout: false\`.
Our composition is \`wrap(retry(), circuitBreaker(), timeout({ duration: 10_000 }))\`; its timeout keeps
one shared timer for all calls of the policy instead of arming one per call.
Absolute numbers move with machine load (${cpus().length} CPUs, load average ${loadavg()[0].toFixed(2)} at the
end of this run); compare ratios within one run.
`;
writeFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'BENCHMARKS.md'), doc);

opossumDefault.shutdown();
opossumNoTimeout.shutdown();
