/**
 * What the deployed bundles get for `@smithy/core/event-streams` (serverless.yml,
 * custom.esbuild.alias). The SDK's HTTP protocol imports event-stream support lazily, for
 * operations that stream events (Transcribe, Bedrock, Kinesis SubscribeToShard); GetSecretValue and
 * PutEvents are not such operations. That one dynamic import made esbuild wrap some 160 modules of
 * the SDK in lazy initializers and bundle 20 KB that never run here: 4-5 ms of every cold start
 * (docs/BENCHMARKS.md). Should a client that streams events ever be added, its first call fails here,
 * saying so, and the alias must go.
 */
function unsupported(): never {
  throw new Error('event streams are left out of this bundle (functions/runtime/no-event-streams.ts)')
}

export class EventStreamSerde {
  constructor() {
    unsupported()
  }
}

export const eventStreamSerdeProvider = unsupported
