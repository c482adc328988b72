/**
 * The part of docs/BENCHMARKS.md that explains the figures: how they were taken, where the time goes
 * (from `node --cpu-prof` of the same processes and A/B runs in one process) and why a target is
 * missed when one is. Numbers from this run are filled in; numbers from the profiling sessions are
 * marked as such.
 */
import { networkFloors, perCall, type Results, ratio } from './report.ts'

export function findings(results: Results) {
  return [
    measured(results),
    warmFindings(results),
    coldFindings(results),
    networkFindings(results),
    rest(results),
  ].join('\n')
}

const round = (value: number) => Math.round(value)

function measured({ warm, cold, network }: Results) {
  return `## How it is measured

- **Processes.** The WeChat Pay simulator (over HTTP, and over TLS with a certificate made for the run),
  the Secrets Manager and EventBridge stand-ins, a bare 204 server and the latency proxies run in one
  child process (test/bench/stack.ts); each measurement runs in a fresh child. With 2 cores or more,
  \`taskset\` puts the stand-ins on the last core and the warm, queue and secrets processes on the first.
- **The bundles** are built by esbuild with the options serverless.yml gives serverless-esbuild, read
  with \`serverless print\` (aliases included), and started with its NODE_OPTIONS (${cold.nodeOptions ? `\`${cold.nodeOptions}\`` : 'none'}).
  The measuring processes get the V8 heap limits the Lambda Node.js runtime sets for the function's
  memory size (new space a tenth of it, half per semi-space; the rest old space): 1024 MB for the
  HTTP function, 512 MB for the queue function.
- **CPU** is \`process.cpuUsage()\` (user + system, every thread: GC included) around a block of calls
  whose inputs are made before the block; each block ends with a minor GC inside its window
  (\`--expose-gc\`), so each row pays for its own garbage. Rows are interleaved round by round, after
  ${warm.warmupCalls} warm-up calls each (the handler's CPU per call falls over its first 1,500-2,000 calls, as
  the JIT settles: the figures are a container that has served that many), and ratios are
  taken within a round, as this VM's speed drifts by ±30 % over seconds.
- **The handler** is invoked with API Gateway v2 events; its logs and EMF metrics go to /dev/null, so
  formatting and writing them is counted. Every call terminates a fresh authorization code (200,
  \`terminated\`, a verified 204 from the simulator). "With EVENT_BUS" is the same bundle configured as
  deployed with outcome events: one PutEvents per call, to the EventBridge stand-in.
- **wechatpay-axios-plugin** 0.9 is given the merchant id, serial, private key and the WeChat Pay
  public key (\`certs\`); it verifies every answer. It does not send \`Wechatpay-Serial\` by itself, so
  it is given that header, as our client sends it.
- **Cold start** is wall time from \`spawn()\` to the result line, median of ${cold.runs} interleaved runs after
  one unrecorded round. Ours and the do-it-yourself handler (test/bench/diy-handler.ts: the plugin
  plus @aws-sdk/client-secrets-manager, what a user would write instead) fetch the merchant secret
  from the Secrets Manager stand-in (loopback, plain HTTP: in Lambda it is in the same region); the
  plugin is handed its keys. The do-it-yourself handler is bundled with the same options, as
  CommonJS and without our alias: the plugin assigns to a getter-only property, which strict-mode
  ESM refuses at load.
- **Network.** A TCP proxy in front of the TLS simulator adds ${network.roundTripMs} ms per round trip: each direction
  takes half, and a new connection's first bytes also wait a round trip for the TCP handshake. It
  counts round trips (one per TCP handshake, one each time the server answers the client). A
  1-byte echo through the same kind of proxy gives the round trip it really adds (${network.measuredRoundTripMs.toFixed(1)} ms here):
  the floors use that. The measuring processes trust the run's certificate through
  NODE_EXTRA_CA_CERTS only. Each fresh process makes one cold call, then ${network.warmCalls} warm ones.
- **Queue** batches are SQS events of 1 and 10 records through the queue bundle, every WeChat Pay answer
  held 100 ms, EVENT_BUS set (one PutEvents per batch, to the EventBridge stand-in).
`
}

function warmFindings({ warm }: Results) {
  const cpu = (row: Parameters<typeof perCall>[1]) => round(perCall(warm, row))
  const layer = cpu('handler') - cpu('client')
  const kyShare = cpu('bareKy') - cpu('bareHttp')
  const clientOwn = cpu('client') - cpu('bareKy') - cpu('floor')
  const pluginOwn = cpu('plugin') - cpu('bareAxios') - cpu('floor')
  const needed = round(cpu('plugin') / 1.25)
  const events = cpu('handlerEvents') - cpu('handler')
  const floorMet = ratio(warm, 'handler', 'floor') <= 3
  return `## Where the time goes

**1. Warm CPU per termination (${cpu('handler')} µs; floor ${cpu('floor')} µs).** In this run: a bare node:http POST on a kept
connection costs ${cpu('bareHttp')} µs (a bare fetch ${cpu('bareFetch')} µs); ky over our transport adds ${kyShare} µs to it (option merging,
the Request it builds, its timeout and promise chain); our client's own work beyond that and the crypto
(the signed message, the nonce, the verifier's header checks and replay record, the retry loop) is
${clientOwn} µs; the Lambda layer (handler minus client alone: middy, Powertools' context, one JSON log
line, two EMF lines, valibot input checks, the use case) adds ${layer} µs. ${floorMet ? 'The 3 × target is met.' : 'The 3 × target is missed in this run.'}
The ratio moves by about ±8 % between runs on this VM (fast and slow host states favour RSA unevenly).

What issue 12 changed here (each measured A/B in one process at the time): undici's fetch and its web
streams replaced by a transport on node:http, which ky takes as its \`fetch\` (a bare fetch POST costs
${cpu('bareFetch')} µs in this run, a bare node:http one ${cpu('bareHttp')} µs; ky over fetch cost 1.4-1.7 × the floor in the previous
figures, over the transport ${ratio(warm, 'bareKy', 'floor').toFixed(2)} ×); the AbortSignal made per attempt (AbortSignal.timeout, then ky's
AbortSignal.any over it) replaced by readBody's own timer; ky given no per-call headers (about −4 %)
and no request body stream (the body goes to the transport as \`payload\`, about −2 %); warm calls take
the cached merchant without a promise and a deadline race.

**1. Plugin ÷ ours.** Like for like, our client alone is cheaper than the plugin (plugin ÷ client
${ratio(warm, 'plugin', 'client').toFixed(2)} ×: the plugin's own work beyond axios and the crypto is ${pluginOwn} µs, ours ${clientOwn} µs beyond ky; a bare
axios POST costs ${cpu('bareAxios')} µs against ${cpu('bareKy')} µs for ky over our transport). Being 1.25 × cheaper than the
plugin needs the whole handler under ${needed} µs, ${
    needed > cpu('client')
      ? `which leaves ${needed - cpu('client')} µs for the Lambda layer on top of our client alone (${cpu('client')} µs)`
      : `less than our client alone costs (${cpu('client')} µs), with no Lambda layer at all`
  }: the layer costs ${layer} µs, and it is the contracts: A/B
runs in one process (profiling session) put the Powertools JSON log line at about 7 % of the handler
(50-60 µs: Powertools reads the environment several times per line, merges the attributes and
serializes them through a replacer), its context injection at about 5 %, middy's chain and the
unhandled-error step at about 2 %; the EMF metrics and valibot's checks are a few µs each. Reaching
the target needs the per-call log line or Powertools itself gone, or the crypto floor shared; the
product brief requires ky, middy and Powertools, and the log line and metrics are the README's
contract. The rest of functions/ (input checks, use case, outcome, signer and verifier beyond the
crypto) takes a few µs per call each in the profiles.

**With EVENT_BUS set** (as deployed with outcome events), each call also puts its event: ${events} µs
more, ${(cpu('handlerEvents') / cpu('floor')).toFixed(1)} × the floor in all. That is the AWS SDK's per-call cost of one PutEvents (profile: the
middleware stack resolved per command, SigV4's hashes and HMAC, the schema serializer, its own
node:http request and the response deserializer), about as much again as the rest of the handler.
The queue function puts one event per batch of up to 10, so there it is shared.
`
}

function coldFindings({ cold, bundle }: Results) {
  const above = (value: number) => round(value - cold.baselineMs)
  const kib = (bytes: number) => `${round(bytes / 1024)} KiB`
  return `**2. Cold start.** Above \`node -e ''\` (${round(cold.baselineMs)} ms): ours ${above(cold.oursMs)} ms (${round(cold.oursCpuMs)} ms of CPU in all),
the plugin ${above(cold.pluginMs)} ms, the do-it-yourself handler ${above(cold.diyMs)} ms, our client alone ${above(cold.clientMs)} ms. The
bundle is ${kib(bundle.httpBytes)}, ${kib(bundle.httpSdkBytes)} of it the AWS SDK. A profile of the bundled cold start
(profiling session) puts about 20 ms in loading Node's built-in undici, which ky needs for its
Request (built at import) and which the plugin loads too (axios tests \`fetch\`); 15-20 ms in the SDK's
modules, client and GetSecretValue (the plugin has none; the do-it-yourself handler pays the same);
10-15 ms compiling the bundle; 4-5 ms in Powertools and middy. Our client alone starts ${above(cold.pluginMs) - above(cold.clientMs)} ms sooner
than the plugin; the SDK, Powertools and middy, all required, give most of that back, so the
handler against the plugin is close to 1.0 × and moves either side of it with the VM's state.

What issue 12 changed here: the SDK's default credential chain replaced in the bundle by the
environment provider Lambda uses (functions/runtime/lambda-credentials.ts, serverless.yml's alias:
130 of the 427 KiB gone, about 9 ms of CPU); the SDK's event-stream support left out
(functions/runtime/no-event-streams.ts: its one dynamic import made esbuild wrap about 160 modules in
lazy initializers; 20 KiB and 4-5 ms); \`--enable-source-maps\` dropped from NODE_OPTIONS
(context row: ${round(cold.sourceMapsMs - cold.oursMs)} ms in this run), unexpected errors' stacks mapped when they are logged instead;
the secret's fetch and WeChat Pay's connection started during initialization. Tried and dropped,
measured: the EventBridge client loaded lazily (no gain: the SDK modules it needs are loaded for
Secrets Manager anyway), CommonJS output or builtins required instead of imported (ES module facades
of node:fs, node:util, node:process: no measurable gain in the bundle), both within noise.
`
}

function networkFindings({ network, cold }: Results) {
  const floors = networkFloors(network)
  const trip = network.measuredRoundTripMs
  const opened = network.distant.connectedAfterMs
  const handshaken = opened + 2 * trip
  const met = network.distant.coldMs / floors.cold <= 1.2
  return `**3. The first call over the network.** A cold first call makes ${network.distant.coldRoundTrips} round trips to WeChat Pay (the TCP
handshake, TLS 1.3's one, the request) on ${network.distant.coldConnections} connection; a warm one ${network.distant.warmRoundTrips} (the connection is kept
alive). The floor of a cold call is the cold start on loopback (${round(network.local.coldMs)} ms, TLS included) plus one
round trip for the request (${round(floors.cold)} ms): the secret's fetch and the handshakes overlap the start.
The entry points make them overlap: functions/runtime/connect-ahead.ts opens the connection before
the rest of the bundle is evaluated and lets the event loop turn once, so the TCP handshake crosses
the network while the bundle loads (TLS is set up on the TCP connection meanwhile: a process's first
TLS connection builds the trusted-certificate store, about 5 ms), and the service fetches the secret
at the end of loading.
Without that, the handshakes would follow the start: about ${round(network.local.coldMs + 3 * trip)} ms. (The do-it-yourself
handler, whose start is longer too and whose connection waits for its first request, takes ${round(network.diyColdMs)} ms.)

The connection opens ${round(opened)} ms after spawn: Node's own start (\`node -e ''\` takes ${round(cold.baselineMs)} ms) and
compiling the bundle, which V8 does whole before any of it runs (10-15 ms in the profiles). The
handshakes end about two round trips later (${round(handshaken)} ms after spawn), and on a core this fast the
rest of the cold start is done sooner than that: the call waits for the handshake, not the other way
round, which is what is left between the figure and its floor${met ? '' : ' (over the target in this run)'}. At a Lambda
function's share of a core (58 % at 1024 MB) the start takes 1.7 times as long and hides the
handshakes whole. Opening the connection before the bundle compiles needs a small loader module
that imports the rest once connected: two files per function where serverless-esbuild packages one.
A warm call's floor is one round trip plus the same call on loopback (${round(floors.warm)} ms).
`
}

function rest({ batches, memory, secrets }: Results) {
  const [byDefault, byFive] = batches
  const [deployed] = memory
  return `**4. Queue batch.** The queue handler runs at most QUEUE_CONCURRENCY records at once (10 by default and
as deployed): a batch of 10 is one wave of calls, then one PutEvents for its outcomes:
${round(byDefault!.batchMs)} ms against ${round(byDefault!.singleMs)} ms for one record. At 5 it is two waves (${round(byFive!.batchMs)} ms).

**5. Memory.** The process serving 1,000 warm calls with EVENT_BUS set, under the heap limits Lambda
sets for ${deployed!.memoryMb} MB, peaks at ${round(deployed!.peakRssMiB)} MiB (${round(deployed!.coldRssMiB)} MiB after its cold call); with the limits of smaller
sizes: ${memory
    .slice(1)
    .map((run) => `${round(run.peakRssMiB)} MiB at ${run.memoryMb} MB`)
    .join(', ')}. V8 lets the young generation grow under a steady allocation
rate up to its limit, then holds. docs/DEPLOY.md ("Memory and timeouts") turns these and the CPU
figures into the functions' memory sizes.

**Secrets.** The credential store fetches at most once per TTL, and callers arriving while a fetch is
in flight share it: ${secrets[0]!.secretCalls} GetSecretValue calls during 1,000 warm invocations at the default TTL (300 s), and
${secrets[1]!.secretCalls} in ${secrets[1]!.elapsedSeconds.toFixed(1)} s at a 1 s TTL with 5 invocations at a time.
`
}
