import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { annotatedComment, authenticate, identityRecord, trustsAppServicePrincipal } from '../../src/api/auth';
import { apiRequest } from '../../src/api/http';
import { principalHeader } from './fakes';

function request(headers: Record<string, string>) {
  return apiRequest({ method: 'POST', url: 'http://ctl.example/api/rollouts/r1/approve', headers });
}

describe('whose word the API takes for an identity', () => {
  it('believes App Service principal headers only when configured, in App Service, with its authentication on (every combination)', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.boolean(), (configured, inAppService, platformAuthEnabled) => {
        expect(trustsAppServicePrincipal({ configured, inAppService, platformAuthEnabled })).toBe(
          configured && inAppService && platformAuthEnabled,
        );
      }),
    );
  });

  it('a caller who writes the principal headers itself stays a key caller when they are not trusted', () => {
    const forged = {
      'x-ms-client-principal': principalHeader({ upn: 'ceo@contoso.com' }),
      'x-ms-client-principal-name': 'ceo@contoso.com',
    };
    fc.assert(
      fc.property(fc.subarray(Object.keys(forged), { minLength: 1 }), (names) => {
        const headers = Object.fromEntries(names.map((n) => [n, forged[n as keyof typeof forged]]));
        expect(authenticate(request(headers), { apiKey: undefined, trustClientPrincipal: false })).toEqual({ kind: 'key' });
      }),
    );
  });

  it('trusted, the full principal wins over the name header, and the name header alone is a principal without groups', () => {
    const both = authenticate(
      request({
        'x-ms-client-principal': principalHeader({ upn: 'alice@contoso.com', groups: ['g1'] }),
        'x-ms-client-principal-name': 'other@contoso.com',
      }),
      { apiKey: undefined, trustClientPrincipal: true },
    );
    expect(both).toEqual({ kind: 'principal', id: 'alice@contoso.com', names: ['alice@contoso.com'], groups: ['g1'] });
    const nameOnly = authenticate(request({ 'x-ms-client-principal-name': 'Bob@Contoso.com' }), {
      apiKey: undefined,
      trustClientPrincipal: true,
    });
    expect(nameOnly).toEqual({ kind: 'principal', id: 'Bob@Contoso.com', names: ['bob@contoso.com'], groups: [] });
  });

  it('says how each recorded name was established (table)', () => {
    const principal = { kind: 'principal', id: 'alice@contoso.com', names: ['alice@contoso.com'], groups: [] } as const;
    const key = { kind: 'key' } as const;
    const rows = [
      {
        caller: principal,
        by: 'x',
        via: 'apiKey',
        comment: 'ok',
        expected: { name: 'alice@contoso.com', verified: true, source: 'appServiceAuth' },
        note: 'ok',
      },
      {
        caller: key,
        by: 'bob',
        via: 'apiKey',
        comment: 'ok',
        expected: { name: 'bob', verified: false, source: 'apiKey' },
        note: 'ok (name claimed by an API key holder, not verified)',
      },
      {
        caller: key,
        by: undefined,
        via: 'apiKey',
        comment: undefined,
        expected: { name: 'api-key', verified: false, source: 'apiKey' },
        note: '(name claimed by an API key holder, not verified)',
      },
      {
        caller: key,
        by: 'bob',
        via: 'signedLink',
        comment: undefined,
        expected: { name: 'bob', verified: false, source: 'signedLink' },
        note: '(via signed link; name claimed, not verified)',
      },
      {
        caller: principal,
        by: 'bob',
        via: 'signedLink',
        comment: 'fine',
        expected: { name: 'alice@contoso.com', verified: true, source: 'appServiceAuth' },
        note: 'fine',
      },
    ] as const;
    for (const row of rows) {
      const identity = identityRecord(row.caller, row.by, row.via);
      expect(identity).toEqual(row.expected);
      expect(annotatedComment(identity, row.comment)).toBe(row.note);
    }
  });
});
