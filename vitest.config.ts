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

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['libs/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'infra/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The bounded-memory test measures the heap after a forced collection.
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
    globalSetup: ['test/harness/global-setup.ts'],
    // CI asks for a JSON report too, to print one closing "N passed, N failed" line.
    reporters: process.env.SWITCHYARD_TEST_REPORT ? ['default', 'json'] : ['default'],
    ...(process.env.SWITCHYARD_TEST_REPORT ? { outputFile: { json: process.env.SWITCHYARD_TEST_REPORT } } : {}),
  },
});
