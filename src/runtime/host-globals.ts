// The host's globals that an action's Compartment gets: the worker hardens them once
// (src/sandbox/lockdown.ts), the sandbox hands them to every action (sandbox.ts).

/**
 * The host's globals (beyond JavaScript's own) that Node 22 gives an action and that reach nothing
 * outside the worker's memory: what every action's Compartment gets (src/runtime/sandbox.ts), besides
 * its own console, timers, fetch and process. Left out: MessageChannel, BroadcastChannel and
 * MessagePort (channels to other threads), SharedArrayBuffer and Atomics, WebAssembly, and
 * perf_hooks' observers; `performance` is only its clock.
 */
export function hostGlobals(): Readonly<Record<string, unknown>> {
  return (cached ??= Object.freeze(collect()));
}

let cached: Readonly<Record<string, unknown>> | undefined;

const collect = (): Record<string, unknown> => ({
  // JavaScript's own that SES keeps to the start compartment (a NaN side channel, or garbage
  // collection made visible): harmless here, and actions use them.
  Float32Array,
  Float64Array,
  WeakRef,
  FinalizationRegistry,
  Intl,
  Buffer,
  URL,
  URLSearchParams,
  TextEncoder,
  TextDecoder,
  TextEncoderStream,
  TextDecoderStream,
  atob,
  btoa,
  structuredClone,
  crypto: globalThis.crypto,
  // Node 20 has them as globals; @types/node 20 does not declare them.
  Crypto: (globalThis as Record<string, unknown>).Crypto,
  CryptoKey: (globalThis as Record<string, unknown>).CryptoKey,
  SubtleCrypto: (globalThis as Record<string, unknown>).SubtleCrypto,
  AbortController,
  AbortSignal,
  DOMException,
  Event,
  EventTarget,
  CustomEvent,
  Blob,
  File,
  FormData,
  Headers,
  Request,
  Response,
  ReadableStream,
  ReadableStreamDefaultReader,
  ReadableStreamBYOBReader,
  ReadableStreamBYOBRequest,
  ReadableByteStreamController,
  ReadableStreamDefaultController,
  TransformStream,
  TransformStreamDefaultController,
  WritableStream,
  WritableStreamDefaultController,
  WritableStreamDefaultWriter,
  ByteLengthQueuingStrategy,
  CountQueuingStrategy,
  CompressionStream,
  DecompressionStream,
  performance: Object.freeze({ now: () => performance.now(), timeOrigin: performance.timeOrigin }),
});
