/*
 * What a benchmark sends requests to: the mock provider itself ("direct"),
 * Switchyard's ingress, or the peer gateway, each with the URL, headers and
 * model name that make the same request reach the same mock.
 */

export type TargetId = 'direct' | 'switchyard' | 'switchyard-nolimits' | 'portkey' | 'switchyard-master-key' | 'switchyard-virtual-key';

export interface Target {
  id: TargetId;
  label: string;
  /** The chat completions URL. */
  url: string;
  headers: Record<string, string>;
  model: string;
  /** OS processes that serve it, for memory readings. */
  pids: Array<{ name: string; pid: number }>;
}

/** The model names of the benchmark's gateway config. */
export const MODELS = {
  /** What the mock is asked for, whatever the path. */
  provider: 'bench-model',
  /** A Switchyard group whose one deployment has rpm and tpm limits (the limiter runs its Redis script). */
  limited: 'bench-limited',
  /** The same deployment without limits (the limiter admits without Redis). */
  unlimited: 'bench-unlimited',
} as const;

export const PROVIDER_KEY = 'sk-bench-provider-key';

/** A short chat completion: the request every HTTP benchmark sends. */
export function chatBody(model: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    model,
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'Say hello in one short sentence.' },
    ],
    max_tokens: 32,
    ...extra,
  });
}

export function directTarget(mockUrl: string, mockPid: number): Target {
  return {
    id: 'direct',
    label: 'direct to mock',
    url: `${mockUrl}/chat/completions`,
    headers: { authorization: `Bearer ${PROVIDER_KEY}` },
    model: MODELS.provider,
    pids: [{ name: 'mock-provider', pid: mockPid }],
  };
}

export function portkeyTarget(portkeyOrigin: string, mockUrl: string, pid: number, streamingFix = false): Target {
  return {
    id: 'portkey',
    label: streamingFix ? 'Portkey gateway (stream fix)' : 'Portkey gateway',
    url: `${portkeyOrigin}/v1/chat/completions`,
    headers: {
      authorization: `Bearer ${PROVIDER_KEY}`,
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': mockUrl,
    },
    model: MODELS.provider,
    pids: [{ name: streamingFix ? 'portkey (stream fix)' : 'portkey', pid }],
  };
}
