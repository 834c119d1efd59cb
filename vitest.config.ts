import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources of every workspace package, so a
// change is tested without a build; the services' own processes (spawned by
// cross-service tests) run from dist, which `pnpm test` builds first.
const root = fileURLToPath(new URL('.', import.meta.url));
const alias: Record<string, string> = {};
for (const dir of ['libs', 'services', 'infra']) {
  for (const name of readdirSync(`${root}${dir}`)) {
    const entry = `${root}${dir}/${name}/src/index.ts`;
    if (existsSync(entry)) alias[`@switchyard/${name}`] = entry;
  }
}

const TESTS_BESIDE_CODE = ['libs/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'infra/*/src/**/*.test.ts'];

/**
 * Tests beside the code that need a real server all the same (they `inject('servers')`):
 * they run in the integration project, with its global setup.
 */
const BESIDE_CODE_NEEDING_SERVERS = ['services/learner/src/turn-batch.test.ts'];

export default defineConfig({
  resolve: { alias },
  test: {
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The bounded-memory test measures the heap after a forced collection.
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
    // One report for both projects: CI prints one closing "N passed, N failed" line from it.
    reporters: process.env.SWITCHYARD_TEST_REPORT ? ['default', 'json'] : ['default'],
    ...(process.env.SWITCHYARD_TEST_REPORT ? { outputFile: { json: process.env.SWITCHYARD_TEST_REPORT } } : {}),
    projects: [
      {
        // No global setup: these run without NATS, Redis or Postgres (`pnpm test:unit`).
        extends: true,
        test: { name: 'unit', include: TESTS_BESIDE_CODE, exclude: ['**/node_modules/**', '**/dist/**', ...BESIDE_CODE_NEEDING_SERVERS] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts', ...BESIDE_CODE_NEEDING_SERVERS],
          // Finds (or starts) NATS, Redis and Postgres once for the run.
          globalSetup: ['test/harness/global-setup.ts'],
        },
      },
    ],
  },
});
