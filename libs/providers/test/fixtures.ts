import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deploymentSecrets, Secret, type Deployment } from '@switchyard/config';

export const TEST_KEY = 'sk-test-SECRET-0123456789abcdefXYZ';

export function deployment(overrides: Partial<Deployment> = {}): Deployment {
  const fields: Omit<Deployment, 'secrets'> = {
    id: 'gpt-test/abc123',
    modelName: 'gpt-test',
    provider: 'openai',
    providerModel: 'gpt-4o-mini',
    apiBase: null,
    apiKey: new Secret(TEST_KEY, 'os.environ/OPENAI_API_KEY'),
    apiKeyEnv: null,
    missingEnv: [],
    apiVersion: null,
    rpm: null,
    tpm: null,
    maxParallelRequests: null,
    weight: null,
    timeoutMs: 5_000,
    streamTimeoutMs: 5_000,
    cooldownTimeMs: null,
    retryOnTimeout: false,
    defaultParams: {},
    extraHeaders: {},
    modelInfo: {},
    inputCostPerToken: null,
    outputCostPerToken: null,
    contextWindow: null,
    maxOutputTokens: null,
    dropParams: false,
    wildcard: null,
    mock: null,
    ...overrides,
  };
  // As the config loader does: the secrets come from the deployment's own fields.
  return { ...fields, secrets: overrides.secrets ?? deploymentSecrets(fields) };
}

export interface TestServer {
  url: string;
  connections: number;
  requests: Array<{ url: string; headers: IncomingMessage['headers']; body: string }>;
  close(): Promise<void>;
}

/** A real local HTTP server on a free port; the handler gets the parsed request body. */
export async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<TestServer> {
  const state: TestServer = { url: '', connections: 0, requests: [], close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      state.requests.push({ url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  server.on('connection', () => {
    state.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
