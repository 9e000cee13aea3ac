/**
 * Deriving independent, reproducible random streams from one seed: each machine and each purpose gets
 * its own stream, so adding a machine or a sensor never changes the numbers another one draws
 * (C_FL104's history is the same whether the fleet has 1 machine or 20).
 */
import { createRandom, type Random } from '../lambdas/core/random.js';

/** A 32-bit hash of integers and strings (murmur3's finaliser over a running FNV-style mix). */
export function hash32(...parts: readonly (number | string)[]): number {
  let h = 0x811c9dc5;
  const add = (x: number) => {
    h = Math.imul(h ^ (x >>> 0), 0x01000193) >>> 0;
    h ^= h >>> 15;
  };
  for (const part of parts) {
    if (typeof part === 'number') {
      add(part);
      add(Math.floor(part / 4294967296));
    } else {
      for (let i = 0; i < part.length; i++) add(part.charCodeAt(i));
      add(part.length);
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** A random stream for `purpose` under `seed`. */
export function streamFor(seed: number, ...purpose: readonly (number | string)[]): Random {
  return createRandom(hash32(seed, ...purpose));
}

/** Uniform in [0, 1) from a hash: a random number that is a pure function of its key. */
export function unitHash(...parts: readonly (number | string)[]): number {
  return hash32(...parts) / 4294967296;
}
