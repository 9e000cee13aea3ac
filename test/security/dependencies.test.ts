/**
 * The dependency checks that need no network (npm audit needs the registry's advisory service: it runs
 * in .ci/run, see docs/RELIABILITY.md):
 * - `npm ls --omit=dev --all`: the installed production tree matches package.json and the lock — no
 *   missing, invalid or extraneous package;
 * - package-lock.json pins every package it lists with a sha512 integrity (bundled packages travel in
 *   their parent's tarball), and its root declares exactly package.json's dependencies.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../e2e/support.js';

const exec = promisify(execFile);

interface LockEntry {
  readonly version?: string;
  readonly integrity?: string;
  readonly inBundle?: boolean;
  readonly link?: boolean;
  readonly dev?: boolean;
  readonly optional?: boolean;
}

const readJson = (file: string) => JSON.parse(readFileSync(join(ROOT, file), 'utf8'));

/**
 * Listed without integrity, with the reason: Biome's CLI binaries for other platforms (optional,
 * dev-only, never installed here) were added to the lock by hand so that `npm ci` accepts it
 * (commit 5fe05a2); the registry this lock was made with does not serve them, so their hashes could not
 * be recorded. `npm install` with access to the public registry fills them in.
 */
const WITHOUT_INTEGRITY = new Set(
  [
    'android-arm64',
    'android-x64',
    'darwin-arm64',
    'darwin-x64',
    'linux-arm64-musl',
    'linux-x64-musl',
    'win32-arm64',
    'win32-x64',
  ].map((p) => `node_modules/@biomejs/cli-${p}`),
);

describe('dependencies (offline checks)', () => {
  it('installs exactly the production tree package.json and the lock describe (npm ls --omit=dev)', async () => {
    const { stdout } = await exec('npm', ['ls', '--omit=dev', '--all', '--json'], {
      cwd: ROOT,
      maxBuffer: 64 << 20,
    });
    const tree = JSON.parse(stdout) as { problems?: string[]; dependencies?: Record<string, unknown> };
    expect(tree.problems ?? []).toEqual([]);
    const wanted = Object.keys(readJson('package.json').dependencies as Record<string, string>);
    expect(Object.keys(tree.dependencies ?? {}).sort()).toEqual(wanted.sort());
  }, 60_000);

  it('pins every package of the lock with a sha512 integrity, and declares package.json’s dependencies', () => {
    const pkg = readJson('package.json');
    const lock = readJson('package-lock.json') as {
      lockfileVersion: number;
      packages: Record<string, LockEntry>;
    };
    expect(lock.lockfileVersion).toBeGreaterThanOrEqual(3);
    const root = lock.packages[''] as LockEntry & Record<string, unknown>;
    expect(root.dependencies).toEqual(pkg.dependencies);
    expect(root.devDependencies).toEqual(pkg.devDependencies);
    const unpinned = Object.entries(lock.packages)
      .filter(
        ([path, e]) =>
          path !== '' && !e.link && !e.inBundle && !/^sha512-[A-Za-z0-9+/]+=*$/.test(e.integrity ?? ''),
      )
      .map(([path]) => path);
    expect(unpinned.filter((p) => !WITHOUT_INTEGRITY.has(p))).toEqual([]);
    // The exceptions stay what they are: optional, dev-only, not for this platform.
    for (const path of WITHOUT_INTEGRITY) {
      const entry = lock.packages[path];
      if (entry === undefined) continue;
      expect(entry, path).toMatchObject({ optional: true, dev: true });
    }
  });
});
