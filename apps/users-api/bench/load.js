// The load generator, as its own process: autocannon against one URL, the result as one JSON line on stdout.
// Arguments: <url> <seconds> <connections> [authorization header value]
import autocannon from 'autocannon';

const [url, seconds, connections, authorization] = process.argv.slice(2);
const result = await autocannon({
  url,
  duration: Number(seconds),
  connections: Number(connections),
  headers: authorization ? { authorization } : {},
});
console.log(
  JSON.stringify({
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  }),
);
