/**
 * What a secret looks like in a file, and which file names should never be tracked. Used by
 * secrets.test.ts over `git ls-files`.
 *
 * Findings are made of material, not of words: a PEM private key block counts when it holds key data
 * (a mock's "-----BEGIN RSA PRIVATE KEY-----\nkey1\n…" does not); an assignment counts when the value
 * looks generated (long, letters and digits) — the emulators' published "S3RVER" does not.
 */

export interface Finding {
  readonly file: string;
  readonly line: number;
  readonly kind: string;
  /** The match, cut so the report does not repeat a secret. */
  readonly excerpt: string;
}

const PATTERNS: readonly { readonly kind: string; readonly regex: RegExp }[] = [
  {
    kind: 'private key (PEM, with key data)',
    regex:
      /-----BEGIN (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----\s*(?:[A-Za-z0-9+/=]{16,}\s*|[A-Za-z-]+: [^\n]*\n){2,}/,
  },
  // Access key ids: AKIA (long-term), ASIA (temporary) and the other IAM unique-id prefixes.
  {
    kind: 'AWS access key id',
    regex: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}\b/,
  },
  {
    kind: 'secret-looking assignment',
    regex:
      /\b(?:aws_?secret_?access_?key|secret_?access_?key|secret|client_?secret|password|passwd|api_?key|auth_?token|access_?token|private_?key)\b["']?\s*[:=]\s*["'`](?=[A-Za-z0-9/+=_-]*\d)(?=[A-Za-z0-9/+=_-]*[A-Za-z])[A-Za-z0-9/+=_-]{16,}["'`]/i,
  },
  { kind: 'GitHub token', regex: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/ },
  { kind: 'Slack token', regex: /\bxox[abprs]-[A-Za-z0-9-]{10,}/ },
  { kind: 'Google API key', regex: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { kind: 'npm token', regex: /\bnpm_[A-Za-z0-9]{36}\b|_authToken\s*=\s*(?!\$)[^\s'"`]{16,}/ },
];

/** Names of files that hold keys, certificates or environments: never tracked. */
export const FORBIDDEN_NAMES =
  /(?:^|\/)(?:certs?\/|\.env(?:\.[^/]*)?$|id_(?:rsa|dsa|ecdsa|ed25519)(?:\.pub)?$)|\.(?:pem|key|p12|pfx|jks|keystore|crt|der)$/i;

/** The findings in one file's text. */
export function scanText(file: string, text: string): Finding[] {
  const findings: Finding[] = [];
  for (const { kind, regex } of PATTERNS) {
    const global = new RegExp(regex.source, `${regex.flags.replace('g', '')}g`);
    for (const match of text.matchAll(global)) {
      const at = match.index ?? 0;
      findings.push({
        file,
        line: text.slice(0, at).split('\n').length,
        kind,
        excerpt: `${match[0].slice(0, 12)}…`,
      });
    }
  }
  return findings;
}

/** Whether bytes are text worth scanning (no NUL in the first 8 KB). */
export function isText(bytes: Buffer): boolean {
  return !bytes.subarray(0, 8192).includes(0);
}
