import { describe, expect, it } from 'vitest';
import { ConfigError, parseGatewayConfig } from './index.js';

const MODELS = `
model_list:
  - model_name: gpt-4
    litellm_params: { model: mock/gpt-4, cooldown_time: 30, retry_on_timeout: true }
  - model_name: gpt-4o-mini
    litellm_params: { model: mock/gpt-4o-mini }
  - model_name: claude-long
    litellm_params: { model: mock/claude-long }
`;

function parse(text: string) {
  return parseGatewayConfig(MODELS + text, { source: 'f.yaml', env: {} });
}

function problemsOf(text: string): string[] {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config: retries, fallbacks and cooldowns (LiteLLM names and defaults)', () => {
  it('config: defaults are LiteLLM\'s: no retries, 3 allowed fails, 5 s cooldown, 5 fallbacks at most, client fallbacks off', () => {
    const { reliability } = parse('').router;
    expect(reliability).toEqual({
      numRetries: 0,
      retryAfterMs: 0,
      retryPolicy: {},
      fallbacks: {},
      contextWindowFallbacks: {},
      contentPolicyFallbacks: {},
      defaultFallbacks: [],
      maxFallbacks: 5,
      allowClientFallbacks: false,
      allowedFails: 3,
      allowedFailsPolicy: {},
      cooldownTimeMs: 5_000,
      disableCooldowns: false,
    });
  });

  it('config: every router_settings key is read, and none is reported unsupported', () => {
    const config = parse(`
router_settings:
  num_retries: 2
  retry_after: 1.5
  retry_policy: { RateLimitErrorRetries: 4, BadRequestErrorRetries: 0, TimeoutErrorRetries: 1 }
  fallbacks: [{ gpt-4: [gpt-4o-mini] }, { "*": [gpt-4o-mini] }]
  context_window_fallbacks: [{ gpt-4: [claude-long] }]
  content_policy_fallbacks: [{ gpt-4: [claude-long] }]
  default_fallbacks: [gpt-4o-mini]
  max_fallbacks: 2
  allowed_fails: 1
  allowed_fails_policy: { RateLimitErrorAllowedFails: 10, InternalServerErrorAllowedFails: 0 }
  cooldown_time: 12
  disable_cooldowns: true
general_settings: { allow_client_side_fallbacks: true }
`);
    expect(config.warnings.filter((w) => w.startsWith('ignoring unsupported'))).toEqual([]);
    expect(config.router.reliability).toEqual({
      numRetries: 2,
      retryAfterMs: 1_500,
      retryPolicy: { RateLimitError: 4, BadRequestError: 0, TimeoutError: 1 },
      fallbacks: { 'gpt-4': ['gpt-4o-mini'], '*': ['gpt-4o-mini'] },
      contextWindowFallbacks: { 'gpt-4': ['claude-long'] },
      contentPolicyFallbacks: { 'gpt-4': ['claude-long'] },
      defaultFallbacks: ['gpt-4o-mini'],
      maxFallbacks: 2,
      allowClientFallbacks: true,
      allowedFails: 1,
      allowedFailsPolicy: { RateLimitError: 10, InternalServerError: 0 },
      cooldownTimeMs: 12_000,
      disableCooldowns: true,
    });
  });

  it('config: litellm_settings fills what router_settings leaves unset', () => {
    const { reliability } = parse(`
litellm_settings:
  num_retries: 1
  fallbacks: [{ gpt-4: [gpt-4o-mini] }]
  context_window_fallbacks: [{ gpt-4: [claude-long] }]
  allowed_fails: 7
  cooldown_time: 9
router_settings: { allowed_fails: 2 }
`).router;
    expect(reliability).toMatchObject({
      numRetries: 1,
      fallbacks: { 'gpt-4': ['gpt-4o-mini'] },
      contextWindowFallbacks: { 'gpt-4': ['claude-long'] },
      allowedFails: 2,
      cooldownTimeMs: 9_000,
    });
  });

  it('config: per-deployment cooldown_time and retry_on_timeout', () => {
    const [gpt4, mini] = parse('').deployments;
    expect([gpt4?.cooldownTimeMs, gpt4?.retryOnTimeout, mini?.cooldownTimeMs, mini?.retryOnTimeout]).toEqual([30_000, true, null, false]);
  });

  it('config: a fallback naming a model not served here is a warning naming the field, and is left out', () => {
    const config = parse('router_settings:\n  fallbacks: [{ gpt-4: [gpt-5, gpt-4o-mini] }, { gpt-9: [gpt-4] }]\n  default_fallbacks: [nope]\n');
    expect(config.router.reliability.fallbacks).toEqual({ 'gpt-4': ['gpt-4o-mini'] });
    expect(config.router.reliability.defaultFallbacks).toEqual([]);
    expect(config.warnings).toEqual(
      expect.arrayContaining([
        'router_settings.fallbacks[0].gpt-4[0]: fallback model "gpt-5" is not served here: left out',
        'router_settings.fallbacks[1].gpt-9: model "gpt-9" is not served here: its fallbacks are ignored',
        'router_settings.default_fallbacks[0]: fallback model "nope" is not served here: left out',
      ]),
    );
  });

  it('config: a fallback may name a model a wildcard route serves', () => {
    const config = parseGatewayConfig(
      MODELS + '  - model_name: "groq/*"\n    litellm_params: { model: "groq/*" }\nrouter_settings:\n  fallbacks: [{ gpt-4: [groq/llama-3] }]\n',
      { source: 'f.yaml', env: { GROQ_API_KEY: 'k' } },
    );
    expect(config.router.reliability.fallbacks).toEqual({ 'gpt-4': ['groq/llama-3'] });
  });

  it('config: a misspelt retry_policy key is reported, a wrong value refused', () => {
    expect(parse('router_settings: { retry_policy: { RateLimitErrorRetry: 2 } }\n').warnings).toContain(
      'ignoring unsupported keys: router_settings.retry_policy.RateLimitErrorRetry',
    );
    expect(problemsOf('router_settings: { max_fallbacks: -1 }\n')).toEqual(['router_settings.max_fallbacks: Too small: expected number to be >=0']);
    expect(problemsOf('router_settings: { fallbacks: { gpt-4: [gpt-4o-mini] } }\n')).toEqual([
      'router_settings.fallbacks: expected a list of { <model group>: [<fallback group>, ...] }',
    ]);
  });
});
