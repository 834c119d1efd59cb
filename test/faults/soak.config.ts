import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';

// The soak alone (`pnpm soak`): test/faults/soak.ts is not a *.test.ts, so `pnpm test` never runs it.
export default defineConfig({ ...base, test: { ...base.test, include: ['test/faults/soak.ts'], reporters: ['default'] } });
