import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

/** A span as the receiver saw it, flattened from OTLP/HTTP JSON. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
  links: Array<{ traceId: string; spanId: string }>;
}

/** OTLP span kinds. */
export const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}

function attributes(list: OtlpAttribute[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    out[key] = value.stringValue ?? value.boolValue ?? value.doubleValue ?? Number(value.intValue ?? 0);
  }
  return out;
}

/**
 * A minimal OTLP/HTTP (JSON) trace receiver: the collector a test points the
 * services at, so it can check the traces they really export.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<OtlpReceiver> {
    const server = createServer();
    const receiver = new OtlpReceiver(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.url?.startsWith('/v1/traces') && (req.headers['content-type'] ?? '').includes('json')) {
          receiver.#ingest(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#server.close();
    await once(this.#server, 'close');
  }

  #ingest(body: { resourceSpans?: Array<{ resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: Array<{ spans?: unknown[] }> }> }): void {
    for (const resourceSpan of body.resourceSpans ?? []) {
      const service = String(attributes(resourceSpan.resource?.attributes)['service.name'] ?? 'unknown');
      for (const scope of resourceSpan.scopeSpans ?? []) {
        for (const raw of (scope.spans ?? []) as Array<Record<string, unknown>>) {
          this.spans.push({
            service,
            traceId: String(raw.traceId),
            spanId: String(raw.spanId),
            parentSpanId: raw.parentSpanId ? String(raw.parentSpanId) : null,
            name: String(raw.name),
            kind: Number(raw.kind),
            attributes: attributes(raw.attributes as OtlpAttribute[] | undefined),
            links: ((raw.links as Array<{ traceId: string; spanId: string }> | undefined) ?? []).map((link) => ({
              traceId: String(link.traceId),
              spanId: String(link.spanId),
            })),
          });
        }
      }
    }
  }
}
