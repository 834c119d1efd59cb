import { describe, expect, it } from 'vitest';
import type { Deployment } from '@switchyard/config';
import { serverAttributes } from './server-address.js';

const at = (provider: string, apiBase: string | null) => ({ provider, apiBase }) as Deployment;

describe('upstream-caller: server.address and server.port of the provider span', () => {
  it('upstream-caller: from api_base, with its port or the scheme\'s', () => {
    expect(serverAttributes(at('hosted_vllm', 'http://10.0.0.5:8000/v1'))).toEqual({ 'server.address': '10.0.0.5', 'server.port': 8000 });
    expect(serverAttributes(at('azure', 'https://res.openai.azure.com/openai?key=x'))).toEqual({ 'server.address': 'res.openai.azure.com', 'server.port': 443 });
    expect(serverAttributes(at('ollama', 'http://[::1]/'))).toEqual({ 'server.address': '::1', 'server.port': 80 });
  });

  it('upstream-caller: the provider default when api_base is unset; nothing for the in-process mock', () => {
    expect(serverAttributes(at('openai', null))).toEqual({ 'server.address': 'api.openai.com', 'server.port': 443 });
    expect(serverAttributes(at('mock', null))).toEqual({});
    const vertex = { provider: 'vertex_ai', apiBase: null, vertex: { project: 'p', location: 'europe-west4', credentials: null, credentialsProblem: null } } as unknown as Deployment;
    expect(serverAttributes(vertex)).toEqual({ 'server.address': 'europe-west4-aiplatform.googleapis.com', 'server.port': 443 });
  });
});
