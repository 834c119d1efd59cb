import type { Deployment, VertexSettings } from '@switchyard/config';
import { GoogleAuth, type AuthClient } from 'google-auth-library';
import { Errors, type GatewayError } from '@switchyard/contracts';

/*
 * OAuth access tokens for Vertex AI, from google-auth-library: one client
 * per credentials (it caches the token and refreshes it before it expires,
 * so a call waits for the token endpoint once an hour, not every time).
 * No credentials: Application Default Credentials (the metadata server on
 * GCE/GKE/Cloud Run, gcloud's login), as LiteLLM's google.auth.default().
 */

// request.ts's `misconfigured`, not imported: request.ts reaches this module through the provider table.
const misconfigured = (message: string): GatewayError => Errors.upstreamFailed(message, 'deployment_misconfigured');

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
/** Where google-auth-library sends every token request, whatever the credentials say. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

const clients = new WeakMap<VertexSettings, Promise<AuthClient>>();
let defaultCredentials: Promise<AuthClient> | null = null;

/**
 * Honours the credentials' `token_uri` (google-auth-library posts to Google's
 * URL regardless): a private endpoint, another universe, or a test's own.
 */
function useTokenUri(client: AuthClient, tokenUri: unknown): void {
  if (typeof tokenUri !== 'string' || tokenUri === GOOGLE_TOKEN_URL) return;
  const target = new URL(tokenUri);
  client.transporter.interceptors.request.add({
    resolved: async (options) => {
      if (String(options.url) === GOOGLE_TOKEN_URL) options.url = target;
      return options;
    },
  });
}

async function clientFor(credentials: string): Promise<AuthClient> {
  const json = JSON.parse(credentials) as Record<string, unknown>;
  const client = await new GoogleAuth({ credentials: json, scopes: [CLOUD_PLATFORM] }).getClient();
  useTokenUri(client, json.token_uri);
  return client;
}

function authClient(vertex: VertexSettings): Promise<AuthClient> {
  if (vertex.credentials === null) {
    defaultCredentials ??= new GoogleAuth({ scopes: [CLOUD_PLATFORM] }).getClient();
    return defaultCredentials;
  }
  let client = clients.get(vertex);
  if (client === undefined) {
    client = clientFor(vertex.credentials.reveal());
    // A client that could not be built is not cached: the next call tries again.
    client.catch(() => clients.delete(vertex));
    clients.set(vertex, client);
  }
  return client;
}

function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Why a token could not be had, in words that hold no secret: the token
 * endpoint's status and OAuth error code, never its message (it may quote the
 * assertion) nor the library's (it may quote the key file).
 */
function reasonOf(err: unknown): string {
  const response = (err as { response?: { status?: unknown; data?: unknown } }).response;
  if (response !== undefined) {
    const data = response.data as { error?: unknown } | undefined;
    const code = typeof data?.error === 'string' && /^[a-z_]{1,64}$/.test(data.error) ? ` (${data.error})` : '';
    return `the token endpoint answered HTTP ${String(response.status)}${code}`;
  }
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? `the token endpoint could not be reached (${code})` : 'the credentials could not be used';
}

/** The `authorization` header of one Vertex AI call. Throws `deployment_misconfigured` when no token can be had. */
export async function vertexAuthorization(deployment: Deployment, signal: AbortSignal): Promise<Record<string, string>> {
  const vertex = deployment.vertex;
  if (vertex == null) throw misconfigured(`deployment ${deployment.id} is a vertex_ai deployment without Vertex settings`);
  if (vertex.credentialsProblem !== null) throw misconfigured(`deployment ${deployment.id} has no usable Vertex AI credentials: ${vertex.credentialsProblem}`);
  let token: string | null | undefined;
  try {
    token = (await abortable(authClient(vertex).then((client) => client.getAccessToken()), signal)).token;
  } catch (err) {
    // The call's own deadline or the client going away: reported as such by the caller.
    if (signal.aborted) throw err;
    throw misconfigured(`deployment ${deployment.id} could not get a Google access token: ${reasonOf(err)}`);
  }
  if (typeof token !== 'string' || token === '') throw misconfigured(`deployment ${deployment.id} could not get a Google access token: the token endpoint issued none`);
  return { authorization: `Bearer ${token}` };
}
