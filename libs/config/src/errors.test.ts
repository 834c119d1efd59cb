import { describe, expect, it } from 'vitest';
import { ConfigError, parseGatewayConfig } from './index.js';
import type { GatewayConfig } from './index.js';
import { PROVIDERS } from './model.js';

// The list every refusal ends with: the providers this build supports.
const SUPPORTED = PROVIDERS.join(', ');

const SOURCE = '/etc/sy.yaml';

function parse(text: string, env: Record<string, string | undefined> = {}): GatewayConfig {
  return parseGatewayConfig(text, { source: SOURCE, env });
}

function problemsOf(text: string, env: Record<string, string | undefined> = {}): string[] {
  try {
    parse(text, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      expect(error.source).toBe(SOURCE);
      // Problems first, then what the file would also be warned about.
      expect(error.message.split('\n').slice(0, error.problems.length)).toEqual(error.problems.map((p) => `${SOURCE}: ${p}`));
      expect(error.message.split('\n').slice(error.problems.length)).toEqual(error.warnings.map((w) => `${SOURCE}: warning: ${w}`));
      return error.problems;
    }
    throw error;
  }
  throw new Error('expected a ConfigError');
}

/** One entry with the given litellm_params lines (YAML flow mapping body). */
const withParams = (params: string, extra = ''): string =>
  `model_list:\n  - model_name: ok\n    litellm_params: { model: mock/ok }\n  - model_name: bad\n    litellm_params: { ${params} }\n${extra}`;

describe('config: errors name the file and the field', () => {
  it.each([
    ['unsupported provider', withParams('model: foo/bar'), `model_list[1].litellm_params.model: provider "foo" is not supported (supported: ${SUPPORTED})`],
    ['no model after prefix', withParams('model: "groq/"'), 'model_list[1].litellm_params.model: "groq/" names no model after "groq/"'],
    ['missing model', withParams('api_base: "http://x"'), 'model_list[1].litellm_params.model: required (string)'],
    ['missing model_name', 'model_list:\n  - litellm_params: { model: mock/a }\n', 'model_list[0].model_name: required (string)'],
    ['missing litellm_params', 'model_list:\n  - model_name: a\n', 'model_list[0].litellm_params: required (object)'],
    ['entry not a mapping', 'model_list:\n  - just-a-string\n', 'model_list[0]: Invalid input: expected object, received string'],
    ['api_base not a URL', withParams('model: openai/x, api_base: "not a url"'), 'model_list[1].litellm_params.api_base: "not a url" is not an http(s) URL'],
    ['rpm not positive', withParams('model: mock/x, rpm: 0'), 'model_list[1].litellm_params.rpm: Too small: expected number to be >0'],
    ['tpm not a number', withParams('model: mock/x, tpm: lots'), 'model_list[1].litellm_params.tpm: Invalid input: expected number, received string'],
    ['timeout negative', withParams('model: mock/x, timeout: -1'), 'model_list[1].litellm_params.timeout: Too small: expected number to be >0'],
    ['temperature too high', withParams('model: mock/x, temperature: 3'), 'model_list[1].litellm_params.temperature: Too big: expected number to be <=2'],
    ['header not a string', withParams('model: mock/x, extra_headers: { X-A: [1] }'), 'model_list[1].litellm_params.extra_headers.X-A: Invalid input: expected string, received array'],
    ['conflicting rpm', withParams('model: mock/x, rpm: 5', '    rpm: 6\n'), 'model_list[1].rpm: 6 conflicts with litellm_params.rpm 5; set it once'],
    ['bad env reference', withParams('model: openai/x, api_key: "os.environ/"'), 'model_list[1].litellm_params.api_key: "os.environ/" is not a valid reference (expected os.environ/NAME, NAME made of letters, digits and _)'],
    ['empty model_list', 'model_list: []\n', 'model_list: at least one model is required'],
    ['no model_list', 'general_settings: {}\n', 'model_list: required (array)'],
    ['routing strategy', 'model_list: [{ model_name: a, litellm_params: { model: mock/a } }]\nrouter_settings: { routing_strategy: fastest }\n', 'router_settings.routing_strategy: routing strategy "fastest" is not a LiteLLM strategy (LiteLLM\'s: simple-shuffle, least-busy, usage-based-routing, usage-based-routing-v2, latency-based-routing, cost-based-routing)'],
    ['unknown credential', withParams('model: openai/x, litellm_credential_name: nope'), 'model_list[1].litellm_params.litellm_credential_name: credential "nope" is not in credential_list (the file has none)'],
    ['wildcard model without a pattern', withParams('model: "openai/*"'), 'model_list[1].litellm_params.model: "openai/*" holds a * but model_name "bad" has none, so nothing fills it (write model_name: "bad/*" or a pattern)'],
    ['bare gemini name', withParams('model: gemini-1.5-pro, api_key: os.environ/GEMINI_API_KEY'), `model_list[1].litellm_params.model: provider "vertex_ai" is not supported ("gemini-1.5-pro" is a model of vertex_ai, and LiteLLM sends a bare name to its vendor; for an OpenAI-compatible server serving it, write openai/gemini-1.5-pro) (supported: ${SUPPORTED})`],
    ['negative retries', 'model_list: [{ model_name: a, litellm_params: { model: mock/a } }]\nrouter_settings: { num_retries: -1 }\n', 'router_settings.num_retries: Too small: expected number to be >=0'],
    ['redis port text', 'model_list: [{ model_name: a, litellm_params: { model: mock/a } }]\nrouter_settings: { redis_host: h, redis_port: "abc" }\n', 'router_settings.redis_port: "abc" is not a port number (1-65535)'],
    ['redis password without host', 'model_list: [{ model_name: a, litellm_params: { model: mock/a } }]\nrouter_settings: { redis_password: pw }\n', 'router_settings.redis_host: required when redis_password is set'],
    ['redis_url scheme', 'model_list: [{ model_name: a, litellm_params: { model: mock/a } }]\nrouter_settings: { redis_url: "http://secret@h" }\n', 'router_settings.redis_url: must be a redis:// or rediss:// URL'],
    ['limiter policy', 'model_list: [{ model_name: a, litellm_params: { model: mock/a } }]\ngeneral_settings: { on_limiter_unavailable: maybe }\n', 'general_settings.on_limiter_unavailable: Invalid option: expected one of "reject"|"allow"'],
    ['body limit', 'model_list: [{ model_name: a, litellm_params: { model: mock/a } }]\ngeneral_settings: { max_request_body_bytes: 1.5 }\n', 'general_settings.max_request_body_bytes: Invalid input: expected int, received number'],
    ['settings not a mapping', 'model_list: [{ model_name: a, litellm_params: { model: mock/a } }]\nrouter_settings: [1]\n', 'router_settings: Invalid input: expected object, received array'],
    ['alias to missing group', 'model_list: [{ model_name: a, litellm_params: { model: mock/a } }]\nrouter_settings: { model_group_alias: { b: nope } }\n', 'router_settings.model_group_alias.b: target group "nope" does not exist (groups: a)'],
    ['alias chain', 'model_list: [{ model_name: a, litellm_params: { model: mock/a } }]\nrouter_settings: { model_group_alias: { b: a, c: b } }\n', 'router_settings.model_group_alias.c: target group "b" does not exist ("b" is itself an alias; aliases do not chain) (groups: a)'],
    ['alias shadows a group', 'model_list: [{ model_name: a, litellm_params: { model: mock/a } }, { model_name: b, litellm_params: { model: mock/b } }]\nrouter_settings: { model_group_alias: { a: b } }\n', 'router_settings.model_group_alias.a: "a" is already a model_name in model_list; an alias cannot have the name of a group'],
    ['alias with a dotted name', 'model_list: [{ model_name: a, litellm_params: { model: mock/a } }]\nrouter_settings: { model_group_alias: { "gpt-3.5-turbo": x } }\n', 'router_settings.model_group_alias["gpt-3.5-turbo"]: target group "x" does not exist (groups: a)'],
    ['alias object without model', 'model_list: [{ model_name: a, litellm_params: { model: mock/a } }]\nrouter_settings: { model_group_alias: { b: { hidden: true } } }\n', 'router_settings.model_group_alias.b: expected a group name or { model: <group>, hidden: true|false }'],
    ['router named like a group', 'model_list: [{ model_name: a, litellm_params: { model: mock/a } }, { model_name: a, litellm_params: { model: auto_router/a } }]\n', 'model_list[1].model_name: "a" is both an adaptive router and a model group'],
    ['router without a name', 'model_list: [{ model_name: a, litellm_params: { model: mock/a } }, { litellm_params: { model: auto_router/r } }]\n', 'model_list[1].model_name: required (string)'],
    ['top level not a mapping', '- a\n- b\n', '(top level): expected a mapping with model_list, found a list'],
    ['empty file', '', '(top level): expected a mapping with model_list, found an empty document'],
  ])('config: %s', (_name, text, problem) => {
    expect(problemsOf(text)).toEqual([problem]);
  });

  it('config: every problem in the file is reported at once, with the warnings it would also get', () => {
    let error: unknown;
    try {
      parse(`
model_list:
  - model_name: a
    litellm_params: { model: foo/a, tpm: lots, api_base: "not a url", litellm_credential_name: none }
    model_info: { access_groups: [beta] }
  - model_name: b
    litellm_params: { model: azure/b, rpm: -3 }
router_settings:
  routing_strategy: fastest
  fallbacks: [{ a: [b] }]
litellm_settings:
  cache: true
  num_retries: 2
general_settings:
  master_key: os.environ/NOT_SET
`);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, warnings } = error as ConfigError;
    // One entry's first error does not hide its others.
    expect(problems).toEqual([
      expect.stringMatching(/^router_settings\.routing_strategy: routing strategy "fastest" is not a LiteLLM strategy/),
      'model_list[0].litellm_params.tpm: Invalid input: expected number, received string',
      expect.stringMatching(/^model_list\[0\]\.litellm_params\.model: provider "foo" is not supported/),
      'model_list[0].litellm_params.litellm_credential_name: credential "none" is not in credential_list (the file has none)',
      'model_list[0].litellm_params.api_base: "not a url" is not an http(s) URL',
      expect.stringMatching(/^model_list\[1\]\.litellm_params\.rpm: /),
      'general_settings.master_key: environment variable NOT_SET is not set (os.environ/NOT_SET)',
    ]);
    // A refused file still names every key it would ignore.
    expect(warnings).toContain(
      'ignoring unsupported keys: model_list[0].model_info.access_groups, litellm_settings.cache',
    );
  });

  it.each([
    ['unclosed flow sequence', 'model_list:\n  - model_name: a\n    litellm_params: { model: [mock/a }\n', /^\/etc\/sy\.yaml: line 3, column \d+: invalid YAML: /],
    ['tab indentation', 'model_list:\n\t- a\n', /^\/etc\/sy\.yaml: line 2, column 1: invalid YAML: /],
  ])('config: YAML syntax error names file and line: %s', (_name, text, pattern) => {
    expect(() => parse(text)).toThrow(ConfigError);
    expect(() => parse(text)).toThrow(pattern);
  });

  it('config: a YAML error does not echo the file, which may hold an inline key', () => {
    expect(() => parse('model_list:\n  - api_key: sk-live-abc\n   x: [\n')).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('sk-live-abc') as unknown }),
    );
  });
});

describe('config: warnings', () => {
  it('config: unsupported keys at every level are listed in one warning', () => {
    const config = parse(`
model_list:
  - model_name: a
    litellm_params: { model: openai/a, foo: 1, mock_response: hi, max_retries: 3 }
    model_info: { anything: goes, mode: chat }
    bar: true
litellm_settings: { drop_params: true }
environment_variables: { X: y }
router_settings:
  allowed_fails: 3
  enable_pre_call_checks: true
  model_group_alias: { b: { model: a, hidden: false, extra: 1 } }
general_settings: { database_url: "postgres://x" }
`);
    expect(config.warnings).toEqual([
      'ignoring unsupported keys: model_list[0].bar, ' +
        'model_list[0].litellm_params.foo, model_list[0].litellm_params.max_retries, model_list[0].model_info.anything, ' +
        'model_list[0].litellm_params.mock_response, ' +
        'router_settings.enable_pre_call_checks, router_settings.model_group_alias.b.extra, ' +
        'general_settings.database_url',
    ]);
    expect(config.aliases.get('b')).toBe('a');
  });

  const listOf = (count: number, limited: string): string =>
    'model_list:\n' +
    Array.from({ length: count }, (_, i) => `  - model_name: m${i}\n    litellm_params: { model: mock/m${i}${limited} }\n`).join('');

  it.each([
    [10, '', 0],
    [11, '', 1],
    [11, ', rpm: 10', 0],
    [11, ', tpm: 1000', 0],
  ])('config: %i deployments with limits "%s" give %i limits warning', (count, limited, expected) => {
    expect(parse(listOf(count, limited)).warnings).toHaveLength(expected);
  });

  it('config: the limits warning counts and names the deployments, bounded', () => {
    const [warning] = parse(listOf(25, '')).warnings;
    expect(warning).toMatch(/^25 deployments have neither rpm nor tpm, so nothing limits them: m0\/[0-9a-f]{8}, /);
    expect(warning).toContain('and 15 more (set rpm or tpm in litellm_params)');
  });
});
