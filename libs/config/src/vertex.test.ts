import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseGatewayConfig } from './index.js';
import type { GatewayConfig } from './index.js';

const PRIVATE_KEY = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nVJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNb\n-----END PRIVATE KEY-----\n';
const SERVICE_ACCOUNT = JSON.stringify({ type: 'service_account', project_id: 'sa-project', private_key_id: 'kid-0123456789', private_key: PRIVATE_KEY, client_email: 'sa@sa-project.iam.gserviceaccount.com', token_uri: 'https://oauth2.googleapis.com/token' });

const parse = (text: string, env: Record<string, string | undefined> = {}): GatewayConfig => parseGatewayConfig(text, { source: 'test.yaml', env });
const one = (params: string, env: Record<string, string | undefined> = {}) => parse(`model_list:\n  - model_name: m\n    litellm_params: ${params}\n`, env).deployments[0]!;

function refusal(text: string, env: Record<string, string | undefined> = {}): ConfigError {
  try {
    parse(text, env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config: vertex_ai deployments', () => {
  it('config: vertex_ai reads vertex_project, vertex_location and the credentials JSON from an env var; the key is a secret', () => {
    const d = one('{ model: vertex_ai/gemini-2.5-pro, vertex_project: my-proj, vertex_location: europe-west4, vertex_credentials: os.environ/VERTEX_SA }', { VERTEX_SA: SERVICE_ACCOUNT });
    expect(d).toMatchObject({ provider: 'vertex_ai', providerModel: 'gemini-2.5-pro', vertex: { project: 'my-proj', location: 'europe-west4', credentialsProblem: null } });
    expect(d.vertex?.credentials?.reveal()).toBe(SERVICE_ACCOUNT);
    expect(JSON.stringify(d)).not.toContain('MIIEvQ');
    const secrets = d.secrets();
    expect(secrets).toContain(PRIVATE_KEY);
    // The PEM body on one line and its JSON-escaped form (as an error body would quote it) are scrubbed too.
    expect(secrets).toContain(PRIVATE_KEY.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''));
    expect(secrets).toContain(JSON.stringify(PRIVATE_KEY).slice(1, -1));
  });

  it('config: vertex_ai reads a credentials file path, and takes the project from it; location defaults to us-central1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vertex-'));
    const path = join(dir, 'sa.json');
    writeFileSync(path, SERVICE_ACCOUNT);
    const d = one(`{ model: vertex_ai/gemini-2.5-flash, vertex_credentials: "${path}" }`);
    expect(d.vertex).toMatchObject({ project: 'sa-project', location: 'us-central1', credentialsProblem: null });
    expect(d.vertex?.credentials?.source).toBe(path);
  });

  it('config: vertex_ai falls back to LiteLLM\'s variables: VERTEXAI_PROJECT, VERTEX_LOCATION, GOOGLE_APPLICATION_CREDENTIALS', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vertex-'));
    const path = join(dir, 'adc.json');
    writeFileSync(path, SERVICE_ACCOUNT);
    const d = one('{ model: vertex_ai/claude-sonnet-4@20250514 }', { VERTEXAI_PROJECT: 'env-proj', VERTEX_LOCATION: 'us-east5', GOOGLE_APPLICATION_CREDENTIALS: path });
    expect(d.vertex).toMatchObject({ project: 'env-proj', location: 'us-east5' });
    expect(d.vertex?.credentials?.source).toBe('os.environ/GOOGLE_APPLICATION_CREDENTIALS');
  });

  it('config: vertex_ai without credentials uses Application Default Credentials; a file this process cannot read is a warning, not a refusal', () => {
    expect(one('{ model: vertex_ai/gemini-2.5-pro, vertex_project: p }').vertex).toMatchObject({ credentials: null, credentialsProblem: null });
    const config = parse('model_list:\n  - model_name: m\n    litellm_params: { model: vertex_ai/gemini-2.5-pro, vertex_project: p, vertex_credentials: /nonexistent/sa.json }\n');
    expect(config.deployments[0]!.vertex?.credentialsProblem).toMatch(/cannot be read \(ENOENT\)/);
    expect(config.warnings).toContainEqual(expect.stringContaining('model_list[0].litellm_params.vertex_credentials'));
  });

  it('config: vertex_ai credentials that are not Google credentials are refused, without echoing them', () => {
    const err = refusal('model_list:\n  - model_name: m\n    litellm_params: { model: vertex_ai/gemini-2.5-pro, vertex_credentials: os.environ/SA }\n', { SA: '{"secret": "hunter2-very-secret"}' });
    expect(err.message).toContain('model_list[0].litellm_params.vertex_credentials');
    expect(err.message).not.toContain('hunter2');
  });

  it('config: vertex_ai an unset credentials variable is named for the call, and no other credentials stand in', () => {
    const d = one('{ model: vertex_ai/gemini-2.5-pro, vertex_project: p, vertex_credentials: os.environ/SA }', { GOOGLE_APPLICATION_CREDENTIALS: '/x.json' });
    expect(d.missingEnv).toEqual(['SA']);
    expect(d.vertex?.credentials).toBeNull();
  });

  it('config: a bare gemini name goes to vertex_ai, as LiteLLM sends it; gemini/ goes to AI Studio with GEMINI_API_KEY', () => {
    expect(one('{ model: gemini-1.5-pro, vertex_project: p }')).toMatchObject({ provider: 'vertex_ai', providerModel: 'gemini-1.5-pro' });
    const studio = one('{ model: gemini/gemini-2.5-flash }', { GEMINI_API_KEY: 'AIza-test-key-0123456789' });
    expect(studio).toMatchObject({ provider: 'gemini', providerModel: 'gemini-2.5-flash' });
    expect(studio.vertex).toBeUndefined();
    expect(studio.apiKey?.source).toBe('os.environ/GEMINI_API_KEY');
    expect(one('{ model: gemini/gemini-2.5-flash }', { GOOGLE_API_KEY: 'AIza-other-key-0123456789' }).apiKey?.source).toBe('os.environ/GOOGLE_API_KEY');
  });

  it('config: gemini/* and vertex_ai/* are wildcard routes, and the catalogue knows their models\' limits', () => {
    const config = parse('model_list:\n  - model_name: "gemini/*"\n    litellm_params: { model: "gemini/*" }\n  - model_name: v\n    litellm_params: { model: vertex_ai/gemini-2.5-pro, vertex_project: p }\n');
    expect([...config.wildcards.keys()]).toEqual(['gemini/*']);
    expect(config.deployments[1]!.contextWindow).toBeGreaterThan(100_000);
  });

  it('config: the vertex_ai params are not reported as unsupported', () => {
    const config = parse('model_list:\n  - model_name: v\n    litellm_params: { model: vertex_ai/gemini-2.5-pro, vertex_project: p, vertex_location: us-east1 }\n');
    expect(config.warnings).toEqual([]);
  });
});

describe('config: vertex_ai locations', () => {
  it('config: vertex_ai a location that is not a region name is refused: it becomes part of the host name', () => {
    const err = refusal('model_list:\n  - model_name: m\n    litellm_params: { model: vertex_ai/gemini-2.5-pro, vertex_project: p, vertex_location: "evil.example/x" }\n');
    expect(err.problems).toEqual(['model_list[0].litellm_params.vertex_location: "evil.example/x" is not a Vertex AI location (us-central1, europe-west4, global, ...)']);
  });
});

describe('config: vertex params where they mean nothing', () => {
  it('config: vertex_* on another provider and api_key on vertex_ai are warned about, not silently ignored', () => {
    const config = parse('model_list:\n  - model_name: a\n    litellm_params: { model: gemini/gemini-2.5-flash, api_key: k-0123456789, vertex_project: p }\n  - model_name: b\n    litellm_params: { model: vertex_ai/gemini-2.5-pro, vertex_project: p, api_key: k-0123456789 }\n');
    expect(config.warnings).toEqual([
      'model_list[0].litellm_params.vertex_project: only vertex_ai deployments use it (this one is gemini)',
      'model_list[1].litellm_params.api_key: not used by vertex_ai, whose calls carry OAuth tokens of vertex_credentials',
    ]);
  });
});

describe('config: safety_settings', () => {
  it('config: safety_settings of a gemini deployment are kept for its calls; elsewhere they are warned about', () => {
    const config = parse(`model_list:
  - model_name: a
    litellm_params:
      model: gemini/gemini-2.5-flash
      safety_settings: [{ category: HARM_CATEGORY_HARASSMENT, threshold: BLOCK_NONE }]
  - model_name: b
    litellm_params:
      model: openai/gpt-4o
      safety_settings: [{ category: HARM_CATEGORY_HARASSMENT, threshold: BLOCK_NONE }]
`);
    expect(config.deployments[0]!.defaultParams.safety_settings).toEqual([{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }]);
    expect(config.deployments[1]!.defaultParams.safety_settings).toBeUndefined();
    expect(config.warnings).toEqual(['model_list[1].litellm_params.safety_settings: only gemini and vertex_ai deployments use it (this one is openai)']);
  });
});
