/**
 * No secrets in the repository: every tracked file (`git ls-files`) is scanned for private keys, AWS
 * access key ids, secret-looking assignments and common token formats (./secret-scan.ts), and no file
 * named like a key, certificate or environment file is tracked (.gitignore keeps them out: checked too).
 * The scanner is shown to catch what it looks for with examples built at run time, so this file holds
 * none. Nothing is allow-listed: the mocks and the emulators' published credentials are not matches.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../e2e/support.js';
import { type Finding, FORBIDDEN_NAMES, isText, scanText } from './secret-scan.js';

const tracked = () =>
  execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);

/** Builds a string at run time so this file does not contain it. */
const join2 = (...parts: string[]) => parts.join('');

describe('secrets in the repository', () => {
  it('finds none in any tracked file', () => {
    const files = tracked();
    expect(files.length).toBeGreaterThan(100);
    const findings: Finding[] = [];
    let scanned = 0;
    for (const file of files) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(ROOT, file));
      } catch {
        continue; // deleted in the working tree
      }
      if (!isText(bytes)) continue;
      scanned++;
      findings.push(...scanText(file, bytes.toString('utf8')));
    }
    expect(findings).toEqual([]);
    expect(scanned).toBeGreaterThan(100);
  });

  it('tracks no key, certificate or environment file, and .gitignore keeps them out', () => {
    expect(tracked().filter((f) => FORBIDDEN_NAMES.test(f))).toEqual([]);
    const ignored = execFileSync(
      'git',
      ['check-ignore', '--no-index', 'certs/device.pem.crt', 'device.private.key', 'ca.pem', '.env'],
      { cwd: ROOT, encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean);
    expect(ignored).toEqual(['certs/device.pem.crt', 'device.private.key', 'ca.pem', '.env']);
  });

  it('catches what it looks for, and leaves mocks and published emulator credentials alone', () => {
    const keyData = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7'.repeat(3);
    const pem = join2(
      '-----BEGIN ',
      'PRIVATE KEY-----\n',
      `${keyData}\n${keyData}\n`,
      '-----END PRIVATE KEY-----',
    );
    const rsa = join2('-----BEGIN RSA ', 'PRIVATE KEY-----\n', `${keyData}\n${keyData}\n`);
    const caught = [
      pem,
      rsa,
      `const id = "${join2('AKIA', 'Q3EGRXZ7M2NVB4TA')}";`,
      `AWS_ACCESS_KEY_ID=${join2('ASIA', 'Y5HW2KD8LX6QPRJM')}`,
      `aws_secret_access_key = ${join2('"wJalrXUtnFEMI/K7MDENG/', 'bPxRfiCYzq8Xb2nT1kLmQ"')}`,
      `{ secretAccessKey: '${join2('9fK2mQ7vXb', 'Lp3RtZ8wNc4Hy')}' }`,
      `password: "${join2('hunter2', 'hunter2hunter2')}"`,
      `token=${join2('ghp_', 'a'.repeat(20), '1'.repeat(16))}`,
      `//registry.npmjs.org/:_authToken=${join2('npm_', 'b'.repeat(36))}`,
    ];
    for (const text of caught) expect(scanText('x', text), text.slice(0, 40)).not.toEqual([]);
    const clean = [
      join2('-----BEGIN RSA ', 'PRIVATE KEY-----\nkey1\n-----END RSA PRIVATE KEY-----\n'),
      "export const EMULATOR_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };",
      'readonly secretAccessKey: string;',
      '--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"',
      "password: 'correct horse battery staple'",
      'secret: process.env.SECRET_NAME',
    ];
    for (const text of clean) expect(scanText('x', text), text).toEqual([]);
    expect(scanText('a.ts', `\n\n${pem}`)[0]).toMatchObject({
      file: 'a.ts',
      line: 3,
      kind: expect.stringMatching(/private key/),
    });
    for (const name of ['certs/x.txt', 'a/device.pem', 'k.key', '.env', 'cfg/.env.local', 'id_rsa', 'x.p12'])
      expect(FORBIDDEN_NAMES.test(name), name).toBe(true);
    for (const name of ['lib/keys.ts', 'docs/DEPLOY.md', 'environment.ts', 'test/certificates.test.ts'])
      expect(FORBIDDEN_NAMES.test(name), name).toBe(false);
  });
});
