import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { approvalLinkSecret, LINK_SECRET_FILE } from '../../src/harness/start/link-secret';

const made: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'link-secret-'));
  made.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('approvalLinkSecret (npm start)', () => {
  it('in memory: a new random secret every run, never a constant', () => {
    const secrets = new Set(Array.from({ length: 20 }, () => approvalLinkSecret(':memory:', undefined).secret));
    expect(secrets.size).toBe(20);
    for (const secret of secrets) expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(approvalLinkSecret(':memory:', undefined).source).toBe('generated');
  });

  it('with --store: made once, kept owner-only in the store, the same after a restart', () => {
    const store = path.join(freshDir(), 'state');
    const first = approvalLinkSecret(store, undefined);
    expect(first.source).toBe('generated');
    const file = path.join(store, LINK_SECRET_FILE);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.secret);
    expect(statSync(file).mode & 0o077).toBe(0);
    const again = approvalLinkSecret(store, undefined);
    expect(again).toEqual({ secret: first.secret, source: 'store' });
    expect(approvalLinkSecret(freshDir(), undefined).secret).not.toBe(first.secret);
  });

  it('APPROVAL_LINK_SECRET wins and writes nothing', () => {
    const store = freshDir();
    expect(approvalLinkSecret(store, 'operator-chosen-secret-123')).toEqual({
      secret: 'operator-chosen-secret-123',
      source: 'environment',
    });
    expect(() => statSync(path.join(store, LINK_SECRET_FILE))).toThrow();
  });

  it('a damaged secret file is a clear error, not a weak secret', () => {
    const store = freshDir();
    writeFileSync(path.join(store, LINK_SECRET_FILE), 'short\n');
    expect(() => approvalLinkSecret(store, undefined)).toThrow(
      /holds no usable approval-link secret \(16\+ characters expected\); delete it/,
    );
  });

  it('the source of npm start carries no default secret', () => {
    const source = readFileSync(path.resolve(__dirname, '../../src/harness/start/index.ts'), 'utf8');
    expect(source).not.toMatch(/APPROVAL_LINK_SECRET[^\n]*\?\?\s*['"`]/);
    expect(source).toMatch(/approvalLinkSecret\(options\.store/);
  });
});
