import type { Redis } from 'ioredis';
import { Errors } from '@switchyard/contracts';
import { eventually } from '../harness/index.js';

/** Two callers with keys of their own: responses are theirs alone. */
export const ALICE_KEY = 'sk-alice-0123456789';
export const BOB_KEY = 'sk-bob-0123456789';
const CALLERS: Record<string, string> = { [ALICE_KEY]: 'caller_alice', [BOB_KEY]: 'caller_bob' };

export function twoCallers(authorization: string | undefined): string | null {
  const key = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  const caller = key === undefined ? undefined : CALLERS[key];
  if (caller === undefined) throw Errors.unauthorized();
  return caller;
}

export const OPENAI_ENV = { OPENAI_API_KEY: 'sk-upstream-openai-SECRET', AZURE_API_KEY: 'azure-upstream-SECRET' };

/**
 * An OpenAI deployment and an Azure deployment (both serve the Responses
 * API, passed through) and a chat-only OpenAI-compatible server (translated),
 * all on the counting mock; `claude` on the Anthropic mock (translated to
 * chat, then to Anthropic's Messages API). Every one is tpm-metered, so
 * settlement can be watched.
 */
export function responsesConfig(mockUrl: string, anthropicUrl: string): string {
  const root = mockUrl.replace(/\/v1$/, '');
  return `model_list:
  - model_name: gpt
    litellm_params:
      model: openai/gpt-4.1-mini
      api_base: ${mockUrl}
      api_key: os.environ/OPENAI_API_KEY
      tpm: 1000000
    model_info: { id: gpt-openai }
  - model_name: azure-gpt
    litellm_params:
      model: azure/my-gpt-deployment
      api_base: ${root}
      api_version: "2024-10-21"
      api_key: os.environ/AZURE_API_KEY
      tpm: 1000000
    model_info: { id: gpt-azure }
  - model_name: local
    litellm_params:
      model: hosted_vllm/qwen-chat-only
      api_base: ${mockUrl}
      tpm: 1000000
    model_info: { id: local-vllm }
  - model_name: claude
    litellm_params:
      model: anthropic/claude-sonnet-4-5
      api_base: ${anthropicUrl}
      api_key: os.environ/ANTHROPIC_API_KEY
      tpm: 1000000
    model_info: { id: claude-anthropic }
  - model_name: "openai/*"
    litellm_params:
      model: "openai/*"
      api_base: ${mockUrl}
      api_key: os.environ/OPENAI_API_KEY
general_settings:
  master_key: sk-unused-master
`;
}

/**
 * The tokens the limiter holds against one deployment once every
 * reservation is settled: with one call, what the provider billed.
 */
export async function settledTokens(redis: Redis, prefix: string, deploymentId: string): Promise<number> {
  return eventually(async () => {
    const all = await redis.keys(`${prefix}:rl:*`);
    const tokenKeys = all.filter((key) => key.includes(`dep:${deploymentId}`) && key.endsWith(':tok'));
    if (all.some((key) => key.includes(':rl:res:')) || tokenKeys.length === 0) return undefined;
    const totals = await Promise.all(tokenKeys.map(async (key) => Object.values(await redis.hgetall(key)).reduce((sum, value) => sum + Number(value), 0)));
    return totals.reduce((sum, value) => sum + value, 0);
  }, 15_000, `the settlement of ${deploymentId}`);
}

/** Clears a deployment's limiter counters, so the next call's settlement is read alone. */
export async function clearCounters(redis: Redis, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}:rl:*`);
  if (keys.length > 0) await redis.del(...keys);
}

export async function failureOf(call: () => Promise<unknown>): Promise<{ status?: number; error?: unknown; message: string }> {
  try {
    await call();
  } catch (error) {
    return error as { status?: number; error?: unknown; message: string };
  }
  throw new Error('expected the call to fail, and it succeeded');
}
