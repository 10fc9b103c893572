import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  acquireLease,
  compareVersions,
  emptyLease,
  endpointLeaseKey,
  releaseLease,
  supersedeRequest,
  type LeaseRequest,
} from '../../src/orchestration/endpoint-lease';

const req = (rolloutId: string, version: string, concurrency: 'queue' | 'supersede' = 'queue', model = 'm'): LeaseRequest => ({
  rolloutId,
  model,
  version,
  concurrency,
  atMs: 0,
});

describe('endpoint lease', () => {
  it('grants a free endpoint and re-grants the holder (continueAsNew, retries)', () => {
    const a = acquireLease(emptyLease(), req('a', '1'));
    expect(a.answer).toEqual({ granted: true });
    expect(acquireLease(a.state, req('a', '1')).answer).toEqual({ granted: true });
  });

  it('queues in FIFO order and hands over on release', () => {
    let s = acquireLease(emptyLease(), req('a', '1', 'queue', 'x')).state;
    const b = acquireLease(s, req('b', '1', 'queue', 'y'));
    expect(b.answer).toMatchObject({ granted: false, action: 'wait', holder: 'a', position: 1 });
    const c = acquireLease(b.state, req('c', '1', 'queue', 'z'));
    expect(c.answer).toMatchObject({ granted: false, action: 'wait', position: 2 });
    s = releaseLease(c.state, { rolloutId: 'a' });
    expect(acquireLease(s, req('c', '1', 'queue', 'z')).answer).toMatchObject({ granted: false, action: 'wait' });
    expect(acquireLease(s, req('b', '1', 'queue', 'y')).answer).toEqual({ granted: true });
  });

  it('supersede: a newer version of the same model asks the holder to step aside', () => {
    const s = acquireLease(emptyLease(), req('a', '1')).state;
    const b = acquireLease(s, req('b', '2', 'supersede'));
    expect(b.answer).toEqual({ granted: false, action: 'supersede', holder: 'a' });
    expect(supersedeRequest(b.state, 'a')).toEqual({ by: 'b', reason: expect.stringContaining('superseded by m:2 (b)') });
    const released = releaseLease(b.state, { rolloutId: 'a', outcome: 'aborted' });
    expect(supersedeRequest(released, 'a')).toBeNull();
    expect(acquireLease(released, req('b', '2', 'supersede')).answer).toEqual({ granted: true });
  });

  it('refuses a version older than the holder’s or the promoted one', () => {
    const s = acquireLease(emptyLease(), req('a', '10')).state;
    expect(acquireLease(s, req('b', '9', 'supersede')).answer).toMatchObject({
      granted: false,
      action: 'stale',
      reason: expect.stringContaining('older than version 10'),
    });
    const promoted = releaseLease(s, { rolloutId: 'a', outcome: 'promoted', model: 'm', version: '10' });
    expect(acquireLease(promoted, req('c', '10')).answer).toMatchObject({
      action: 'stale',
      reason: expect.stringContaining('not newer than the promoted version 10'),
    });
    expect(acquireLease(promoted, req('d', '11')).answer).toEqual({ granted: true });
  });

  it('orders versions numerically when both are numbers', () => {
    expect(compareVersions('10', '9')).toBe(1);
    expect(compareVersions('2', '2')).toBe(0);
    expect(compareVersions('1.5', '1.10')).toBe(1);
    expect(compareVersions('b', 'a')).toBe(1);
  });

  it('keys are per endpoint and case-insensitive', () => {
    expect(endpointLeaseKey({ subscriptionId: 'S', resourceGroup: 'G', workspace: 'W', endpoint: 'E' })).toBe('s/g/w/e');
  });

  it('property: at most one holder, and the holder is never also queued', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('acquire' as const),
        id: fc.constantFrom('a', 'b', 'c', 'd'),
        version: fc.constantFrom('1', '2', '3'),
        supersede: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('release' as const), id: fc.constantFrom('a', 'b', 'c', 'd'), promoted: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        let s = emptyLease();
        for (const o of ops) {
          if (o.kind === 'acquire') s = acquireLease(s, req(o.id, o.version, o.supersede ? 'supersede' : 'queue')).state;
          else s = releaseLease(s, { rolloutId: o.id, ...(o.promoted ? { outcome: 'promoted', model: 'm', version: '2' } : {}) });
          if (s.holder) expect(s.queue.some((r) => r.rolloutId === s.holder?.rolloutId)).toBe(false);
          expect(new Set(s.queue.map((r) => r.rolloutId)).size).toBe(s.queue.length);
        }
      }),
    );
  });
});
