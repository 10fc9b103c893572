/**
 * The approval-link signing secret of `npm start`. Anyone who knows it can forge an approve link,
 * so the source ships none: APPROVAL_LINK_SECRET when the operator set one, otherwise 32 random
 * bytes, made once per in-memory run, or once per `--store` folder and kept there (owner-only), so
 * links sent before a restart with the same store still verify.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The file inside a --store folder that keeps the secret. */
export const LINK_SECRET_FILE = 'approval-link-secret';

/** The config schema's lower bound for APPROVAL_LINK_SECRET. */
const MIN_SECRET_LENGTH = 16;

export type LinkSecretSource = 'environment' | 'generated' | 'store';

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

function readStoredSecret(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const secret = text.trim();
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new Error(
      `${file} holds no usable approval-link secret (${MIN_SECRET_LENGTH}+ characters expected); delete it to have a new one made (links already sent stop working)`,
    );
  }
  return secret;
}

export function approvalLinkSecret(store: string, fromEnvironment: string | undefined): { secret: string; source: LinkSecretSource } {
  if (fromEnvironment !== undefined && fromEnvironment !== '') return { secret: fromEnvironment, source: 'environment' };
  if (store === ':memory:') return { secret: newSecret(), source: 'generated' };
  mkdirSync(store, { recursive: true });
  const file = path.join(store, LINK_SECRET_FILE);
  const stored = readStoredSecret(file);
  if (stored !== undefined) return { secret: stored, source: 'store' };
  const secret = newSecret();
  try {
    // 'wx': never overwrite a secret another process wrote between our read and this write.
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { secret: readStoredSecret(file) ?? secret, source: 'store' };
  }
  return { secret, source: 'generated' };
}
