import { describe, expect, it } from 'vitest';
import { parseGatewayConfig, secretForms } from '@switchyard/config';
import { REDACTED, SecretScrubber, scrubberFor } from './secrets.js';

const KEY = 'sk-proj-Abc123_def456-GHI789+/=';
const scrubberOf = (...values: string[]) => new SecretScrubber(secretForms(values));

/** Asserts that `leak` (a form of a secret inside some text) is gone after scrubbing, and the text around it kept. */
function expectScrubbed(scrubber: SecretScrubber, leak: string): void {
  const text = `before ${leak} after`;
  const out = scrubber.text(text);
  expect(out).not.toContain(leak);
  expect(out.startsWith('before ')).toBe(true);
  expect(out.endsWith(' after')).toBe(true);
  expect(out).toContain(REDACTED);
}

describe('providers secrets: every form of a configured secret is scrubbed', () => {
  const scrubber = scrubberOf(KEY);

  it('providers secrets: the raw key, and as a Bearer header', () => {
    expectScrubbed(scrubber, KEY);
    expect(scrubber.text(`Authorization: Bearer ${KEY}`)).toBe(`Authorization: Bearer ${REDACTED}`);
  });

  it('providers secrets: base64 and base64url, whole or inside a longer encoded blob at any alignment', () => {
    for (const prefix of ['', 'a', 'ab', 'user:', '{"key":"']) {
      for (const alphabet of ['base64', 'base64url'] as const) {
        const encoded = Buffer.from(`${prefix}${KEY}"}`).toString(alphabet);
        const out = scrubber.text(encoded);
        expect(out, `${alphabet} after "${prefix}"`).toContain(REDACTED);
        // Nothing left decodes back to the key.
        expect(Buffer.from(out.replaceAll(REDACTED, ''), alphabet).toString()).not.toContain(KEY);
      }
    }
  });

  it('providers secrets: URL-encoded (upper and lower hex, + for spaces) and JSON-escaped', () => {
    const encoded = encodeURIComponent(KEY);
    expect(encoded).not.toBe(KEY);
    expectScrubbed(scrubber, encoded);
    expectScrubbed(scrubber, encoded.toLowerCase().replace('sk-proj-abc123_def456-ghi789', 'sk-proj-Abc123_def456-GHI789'));
    const spaced = scrubberOf('pass word "quoted" x');
    expectScrubbed(spaced, 'pass+word+%22quoted%22+x');
    expectScrubbed(spaced, JSON.stringify('pass word "quoted" x').slice(1, -1));
  });

  it('providers secrets: a Basic header value is scrubbed whole, as its user:pass and as the password alone', () => {
    const basic = `Basic ${Buffer.from('proxy-user:proxy-pass-123').toString('base64')}`;
    const fromHeader = scrubberOf(basic);
    expectScrubbed(fromHeader, basic);
    expectScrubbed(fromHeader, 'proxy-user:proxy-pass-123');
    expectScrubbed(fromHeader, 'proxy-pass-123');
  });

  it('providers secrets: text without a secret is returned as is, bytes as the same buffer', () => {
    const text = 'data: {"choices":[{"delta":{"content":"sk-proj- is how keys start"}}]}';
    expect(scrubber.text(text)).toBe(text);
    const bytes = Buffer.from(text);
    expect(scrubber.bytes(bytes)).toBe(bytes);
    expect(scrubber.bytes(Buffer.from(`{"echo":"${KEY}"}`)).toString()).toBe(`{"echo":"${REDACTED}"}`);
  });

  it('providers secrets: forms shorter than 8 characters are not scrubbed', () => {
    expect(scrubberOf('abc').empty).toBe(true);
    expect(scrubberOf('abc').text('abc abc')).toBe('abc abc');
  });
});

describe('providers secrets: a loaded deployment carries its secrets and the gateway\'s', () => {
  const config = parseGatewayConfig(
    `model_list:
  - model_name: m
    litellm_params:
      model: openai/x
      api_base: https://proxy-user:p%40ss-w0rd-77@proxy.example/v1?api-key=query-key-000111
      api_key: os.environ/KEY
      extra_headers:
        X-Proxy-Token: hdr-token-999888
router_settings:
  redis_url: redis://:redis-pass-4242@localhost:6379
general_settings:
  master_key: sk-master-key-31337
`,
    { source: '<test>', env: { KEY } },
  );
  const deployment = config.deployments[0]!;

  it('providers secrets: api key, extra_headers value, api_base password and query key, master key and Redis password', () => {
    const scrubber = scrubberFor(deployment);
    for (const leak of [KEY, 'hdr-token-999888', 'p@ss-w0rd-77', 'p%40ss-w0rd-77', 'query-key-000111', 'sk-master-key-31337', 'redis-pass-4242']) {
      expectScrubbed(scrubber, leak);
    }
    expectScrubbed(scrubber, Buffer.from('proxy-user:p@ss-w0rd-77').toString('base64'));
  });

  it('providers secrets: the list is built once at load and never printed with the deployment', () => {
    expect(deployment.secrets()).toBe(deployment.secrets());
    expect(scrubberFor(deployment)).toBe(scrubberFor(deployment));
    const printed = JSON.stringify(deployment);
    expect(printed).not.toContain('sk-master-key-31337');
    expect(printed).not.toContain(KEY);
  });
});

describe('providers: secrets scrubber with long secrets', () => {
  it('providers: a long secret (a private key) is still scrubbed whole after the quick prefix test', () => {
    const pem = `-----BEGIN PRIVATE KEY-----\n${'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'.repeat(40)}\n-----END PRIVATE KEY-----\n`;
    const scrubber = new SecretScrubber(secretForms([pem]));
    expect(scrubber.text(`key: ${JSON.stringify(pem)}`)).toBe('key: "[redacted]"');
    // The prefix alone is not the secret: a text that only starts like one is left as it is.
    expect(scrubber.text('-----BEGIN PRIVATE KEY----- (none here)')).toBe('-----BEGIN PRIVATE KEY----- (none here)');
    expect(scrubber.foundIn('-----BEGIN PRIVATE KEY----- (none here)')).toBe(false);
  });
});
