import { randomInt } from 'node:crypto';

/** A small seeded PRNG (mulberry32): a failing fault run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed from SWITCHYARD_FAULT_SEED (to replay a run), else a fresh one. */
export function faultSeed(): number {
  const given = process.env.SWITCHYARD_FAULT_SEED;
  return given !== undefined && given !== '' ? Number(given) : randomInt(1, 2 ** 31);
}

/** A shuffled copy of `items`, drawn from `random`. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
