#!/usr/bin/env node
// `pnpm soak [--minutes N] [--outages nats,redis,postgres] [--rps N]`: runs test/faults/soak.ts
// (a vitest file outside the default run) with those settings.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const args = process.argv.slice(2);
const env = { ...process.env };
const names = { '--minutes': 'SWITCHYARD_SOAK_MINUTES', '--outages': 'SWITCHYARD_SOAK_OUTAGES', '--rps': 'SWITCHYARD_SOAK_RPS' };
for (let i = 0; i < args.length; i++) {
  const [flag, inline] = args[i].split('=', 2);
  if (args[i] === '--') continue;
  if (!(flag in names)) {
    process.stderr.write(`soak: unknown option ${args[i]}\nusage: pnpm soak [--minutes 20] [--outages nats,redis,postgres] [--rps 30]\n`);
    process.exit(2);
  }
  env[names[flag]] = inline ?? args[++i];
}
const result = spawnSync(process.execPath, [fileURLToPath(new URL('node_modules/vitest/vitest.mjs', `file://${root}`)), 'run', '--config', 'test/faults/soak.config.ts'], {
  cwd: root,
  env,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
