import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * `pnpm lint` type-checks the tests from the packages' sources, before any
 * build (it is the first thing CI runs on a clean checkout): every workspace
 * package must be mapped in tsconfig.tests.json, or a clean checkout fails
 * with "Cannot find module" while a developer's built tree passes.
 */
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function workspacePackages(): Array<{ name: string; dir: string }> {
  const found: Array<{ name: string; dir: string }> = [];
  for (const parent of ['libs', 'services', 'infra']) {
    for (const entry of readdirSync(join(ROOT, parent), { withFileTypes: true })) {
      const manifest = join(ROOT, parent, entry.name, 'package.json');
      if (!entry.isDirectory() || !existsSync(manifest)) continue;
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string };
      found.push({ name, dir: `${parent}/${entry.name}` });
    }
  }
  return found;
}

describe('workspace', () => {
  it('workspace: every package is mapped to its source in tsconfig.tests.json, so lint works before a build', () => {
    const paths = (JSON.parse(readFileSync(join(ROOT, 'tsconfig.tests.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions.paths;
    const packages = workspacePackages().filter(({ dir }) => existsSync(join(ROOT, dir, 'src', 'index.ts')));
    expect(packages.length).toBeGreaterThan(10);
    expect(packages.filter(({ name }) => paths[name] === undefined).map(({ name }) => name)).toEqual([]);
    for (const { name, dir } of packages) expect(paths[name]).toEqual([`./${dir}/src/index.ts`]);
  });
});
