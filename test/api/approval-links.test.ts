import { describe, expect, it } from 'vitest';
import { applyClaim, emptyLedger, ledgerOperation } from '../../src/api/approval-ledger';
import { ApprovalLinkError, createApprovalLinks, signApprovalToken, verifyApprovalToken } from '../../src/approvals/approval-links';

const SECRET = 'a-very-secret-signing-key-0123456789';
const NOW = 1_700_000_000_000;

function tokenOf(url: string): string {
  return url.split('/api/approvals/')[1] ?? '';
}

function problemOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ApprovalLinkError);
    return (error as ApprovalLinkError).problem;
  }
  throw new Error('expected a refusal');
}

describe('signed approval tokens', () => {
  const claims = { rolloutId: 'r1', step: 4, decision: 'approve' as const, expiresAtMs: NOW + 60_000, nonce: 'abcdefghijklmnopqrstuv' };

  it('round-trips rollout id, step, decision and expiry', () => {
    expect(verifyApprovalToken(signApprovalToken(claims, SECRET), SECRET, NOW)).toEqual(claims);
  });

  it('refuses an expired token', () => {
    expect(problemOf(() => verifyApprovalToken(signApprovalToken(claims, SECRET), SECRET, NOW + 60_000))).toBe('expired');
  });

  it('refuses a token whose payload was changed (step, decision or expiry) or signed with another key', () => {
    const token = signApprovalToken(claims, SECRET);
    const [, signature] = token.split('.');
    for (const changed of [{ step: 5 }, { decision: 'reject' as const }, { expiresAtMs: NOW + 10 ** 9 }, { rolloutId: 'r2' }]) {
      const forged = signApprovalToken({ ...claims, ...changed }, SECRET).split('.')[0];
      expect(problemOf(() => verifyApprovalToken(`${forged}.${signature}`, SECRET, NOW))).toBe('tampered');
    }
    expect(problemOf(() => verifyApprovalToken(signApprovalToken(claims, 'another-secret-key-0000000'), SECRET, NOW))).toBe('tampered');
    expect(problemOf(() => verifyApprovalToken(`${token}x`, SECRET, NOW))).toBe('tampered');
  });

  it('refuses garbage as malformed', () => {
    expect(problemOf(() => verifyApprovalToken('not-a-token', SECRET, NOW))).toBe('malformed');
    expect(problemOf(() => verifyApprovalToken('a.b.c', SECRET, NOW))).toBe('malformed');
  });

  it('createApprovalLinks makes an approve and a reject URL sharing one nonce', () => {
    const links = createApprovalLinks({
      rolloutId: 'r1',
      step: 2,
      expiresAtMs: NOW + 1000,
      baseUrl: 'https://ctl.example/',
      secret: SECRET,
    });
    expect(links.approveUrl.startsWith('https://ctl.example/api/approvals/')).toBe(true);
    const a = verifyApprovalToken(tokenOf(links.approveUrl), SECRET, NOW);
    const r = verifyApprovalToken(tokenOf(links.rejectUrl), SECRET, NOW);
    expect([a.decision, r.decision]).toEqual(['approve', 'reject']);
    expect(a.nonce).toBe(r.nonce);
    const other = createApprovalLinks({
      rolloutId: 'r1',
      step: 2,
      expiresAtMs: NOW + 1000,
      baseUrl: 'https://ctl.example',
      secret: SECRET,
    });
    expect(verifyApprovalToken(tokenOf(other.approveUrl), SECRET, NOW).nonce).not.toBe(a.nonce);
  });
});

describe('approval ledger (entity logic)', () => {
  const claim = { nonce: 'n1', requestId: 'q1', decision: 'approve' as const, step: 1, by: 'alice', atMs: 1 };

  it('keeps the first claim of a nonce', () => {
    const once = applyClaim(emptyLedger(), claim);
    const twice = applyClaim(once, { ...claim, requestId: 'q2', decision: 'reject' });
    expect(twice.claims.n1?.requestId).toBe('q1');
  });

  it('ignores unknown operations and malformed input', () => {
    expect(ledgerOperation(undefined, 'other', claim)).toEqual(emptyLedger());
    expect(ledgerOperation(undefined, 'claim', { nonce: 'x' })).toEqual(emptyLedger());
  });

  it('stays bounded', () => {
    let state = emptyLedger();
    for (let i = 0; i < 600; i += 1) state = applyClaim(state, { ...claim, nonce: `n${i}`, atMs: i });
    expect(Object.keys(state.claims)).toHaveLength(500);
    expect(state.claims.n599).toBeDefined();
    expect(state.claims.n0).toBeUndefined();
  });
});
