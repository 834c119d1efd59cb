import { reliabilityConfig, type TestDeployment } from './fixtures.js';

const SLOW = { timeout: 0.3 };

/** One deployment (or two) per path: each test sets the mock behaviour of the models it uses. */
export const PATH_DEPLOYMENTS: TestDeployment[] = [
  { group: 'main', model: 'main-a' },
  { group: 'main', model: 'main-b' },
  { group: 'backup', model: 'backup-a' },
  { group: 'second', model: 'second-a' },
  { group: 'third', model: 'third-a' },
  { group: 'long', model: 'long-a' },
  { group: 'safe', model: 'safe-a' },
  { group: 'solo', model: 'solo-a' },
  { group: 'lonely', model: 'lonely-a' },
  { group: 'cut', model: 'cut-a' },
  { group: 'slow', model: 'slow-a', params: SLOW },
  { group: 'slow-optin', model: 'slow-optin-a', params: { ...SLOW, retry_on_timeout: true } },
  { group: 'slow-optin', model: 'slow-optin-b', params: { ...SLOW, retry_on_timeout: true } },
];

export function pathsConfig(mockUrl: string): string {
  return reliabilityConfig(
    mockUrl,
    PATH_DEPLOYMENTS,
    `
num_retries: 1
retry_policy: { RateLimitErrorRetries: 1 }
fallbacks: [{ main: [backup] }, { solo: [backup, second, third] }, { cut: [backup] }]
context_window_fallbacks: [{ main: [long] }]
content_policy_fallbacks: [{ main: [safe] }]
default_fallbacks: [backup]
max_fallbacks: 2
disable_cooldowns: true
`,
    '{ allow_client_side_fallbacks: true }',
  );
}
