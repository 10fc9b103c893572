/**
 * An app setting that is still a Key Vault reference means the platform could not resolve it; the
 * reference text must never be used as the value (it would sign approval links with a key anyone
 * reading the Bicep knows).
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError, loadSettings } from '../../src/config';

const REFERENCE = '@Microsoft.KeyVault(SecretUri=https://kv-aml-rollout.vault.azure.net/secrets/approval-link-secret/)';

function errorOf(fn: () => unknown): ConfigurationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError, but the settings loaded');
}

describe('unresolved Key Vault references', () => {
  it('refuses APPROVAL_LINK_SECRET holding the reference text, naming the setting and the likely cause', () => {
    const error = errorOf(() => loadSettings({ APPROVAL_LINK_SECRET: REFERENCE }));
    expect(error.message).toContain('APPROVAL_LINK_SECRET');
    expect(error.message).toMatch(/Key Vault reference did not resolve/);
    expect(error.message).toMatch(/managed identity has access to the vault/);
    expect(error.message).toContain('kv-aml-rollout.vault.azure.net');
  });

  it('names every setting that is still a reference, whatever its type', () => {
    const error = errorOf(() =>
      loadSettings({
        APPROVAL_LINK_SECRET: REFERENCE,
        NOTIFY_TEAMS_WEBHOOK_URL: '@Microsoft.KeyVault(VaultName=kv;SecretName=teams)',
        AML_WORKSPACE_NAME: 'ws',
      }),
    );
    expect(error.message).toContain('APPROVAL_LINK_SECRET');
    expect(error.message).toContain('NOTIFY_TEAMS_WEBHOOK_URL');
    expect(error.message).not.toContain('AML_WORKSPACE_NAME');
  });

  it('matches the prefix case-insensitively and after leading blanks', () => {
    expect(() => loadSettings({ APPROVAL_LINK_SECRET: `  ${REFERENCE}` })).toThrow(/APPROVAL_LINK_SECRET/);
    expect(() => loadSettings({ APPROVAL_LINK_SECRET: REFERENCE.replace('@Microsoft.KeyVault', '@microsoft.keyvault') })).toThrow(
      /did not resolve/,
    );
  });

  it('accepts resolved values, including ones that merely mention the reference syntax later on', () => {
    expect(loadSettings({ APPROVAL_LINK_SECRET: 'a-real-secret-of-32-characters!!' }).APPROVAL_LINK_SECRET).toBe(
      'a-real-secret-of-32-characters!!',
    );
    const mention = 'secret-text-then @Microsoft.KeyVault(';
    expect(loadSettings({ APPROVAL_LINK_SECRET: mention }).APPROVAL_LINK_SECRET).toBe(mention);
  });

  it('ignores variables the app does not read', () => {
    expect(() => loadSettings({ SOME_OTHER_APP_SETTING: REFERENCE })).not.toThrow();
  });
});
