import { context, propagation, trace, type Context, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';

export { context, propagation, trace, ROOT_CONTEXT, SpanKind, SpanStatusCode } from '@opentelemetry/api';
export type { Context, Link, Span, Tracer } from '@opentelemetry/api';

export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK for one service, exporting OTLP over
 * HTTP. Configured by the standard OTEL_* variables; nothing starts (and no
 * exporter retries against a collector that is not there) unless an OTLP
 * endpoint is set, and OTEL_SDK_DISABLED=true turns it off.
 */
export function startTracing(service: string, env: Record<string, string | undefined>): Tracing | null {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || env.OTEL_SDK_DISABLED === 'true') return null;
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? service,
    traceExporter: new OTLPTraceExporter(),
    instrumentations: [],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

export function switchyardTracer(): Tracer {
  return trace.getTracer('switchyard');
}

/** W3C trace context from any header bag with a getter, e.g. NATS headers or HTTP headers. */
export function extractContext(get: (name: string) => string | undefined): Context {
  return propagation.extract(context.active(), null, {
    get: (_carrier, key) => get(key),
    keys: () => ['traceparent', 'tracestate'],
  });
}

/** Writes the W3C trace context of `ctx` through `set`. */
export function injectContext(ctx: Context, set: (name: string, value: string) => void): void {
  propagation.inject(ctx, null, { set: (_carrier, key, value) => set(key, value) });
}
