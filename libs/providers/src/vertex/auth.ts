import type { Deployment, VertexSettings } from '@switchyard/config';
import { ExternalAccountClient, GoogleAuth, JWT, UserRefreshClient, type AuthClient } from 'google-auth-library';
import { misconfigured } from '../misconfigured.js';

/*
 * OAuth access tokens for Vertex AI, from google-auth-library: one client
 * per credentials (it caches the token and refreshes it before it expires,
 * so a call waits for the token endpoint once an hour, not every time).
 * No credentials: Application Default Credentials (the metadata server on
 * GCE/GKE/Cloud Run, gcloud's login), as LiteLLM's google.auth.default().
 */


const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
/** Where google-auth-library sends every token request, whatever the credentials say. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/** By credentials, not by deployment: deployments of one service account share its token. */
const clients = new Map<string, Promise<AuthClient>>();
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

/**
 * A token request that hangs ends here, not never: a call waiting for it
 * stops at its own deadline, and the token, when it comes, is cached for the next.
 */
const TOKEN_REQUEST_TIMEOUT_MS = 30_000;
const transporterOptions = { timeout: TOKEN_REQUEST_TIMEOUT_MS };

/** The client of one credentials JSON (the config accepted only these types). */
function clientOf(json: Record<string, unknown>): AuthClient {
  const text = (name: string): string | undefined => (typeof json[name] === 'string' ? (json[name] as string) : undefined);
  switch (json.type) {
    case 'service_account':
      return new JWT({ email: text('client_email'), key: text('private_key'), keyId: text('private_key_id'), scopes: [CLOUD_PLATFORM], transporterOptions });
    case 'authorized_user':
      return new UserRefreshClient({ clientId: text('client_id'), clientSecret: text('client_secret'), refreshToken: text('refresh_token'), transporterOptions });
    default: {
      // Workload identity federation: the library reads its credential_source (a file, a URL, an executable, AWS).
      const client = ExternalAccountClient.fromJSON({ ...(json as unknown as Parameters<typeof ExternalAccountClient.fromJSON>[0]), scopes: [CLOUD_PLATFORM], transporterOptions });
      if (client === null) throw new Error('not an external_account credential');
      return client;
    }
  }
}

async function clientFor(credentials: string): Promise<AuthClient> {
  const json = JSON.parse(credentials) as Record<string, unknown>;
  const client = clientOf(json);
  useTokenUri(client, json.token_uri);
  return client;
}

function authClient(vertex: VertexSettings): Promise<AuthClient> {
  if (vertex.credentials === null) {
    if (defaultCredentials === null) {
      const found = new GoogleAuth({ scopes: [CLOUD_PLATFORM] }).getClient();
      // None found (no metadata server, no gcloud login) is not cached: they may appear.
      found.catch(() => {
        if (defaultCredentials === found) defaultCredentials = null;
      });
      defaultCredentials = found;
    }
    return defaultCredentials;
  }
  const credentials = vertex.credentials.reveal();
  let client = clients.get(credentials);
  if (client === undefined) {
    client = clientFor(credentials);
    // A client that could not be built is not cached: the next call tries again.
    client.catch(() => clients.delete(credentials));
    clients.set(credentials, client);
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
