/**
 * Camera access tokens sealed with the OS keychain (Electron safeStorage:
 * Keychain on macOS, DPAPI on Windows, libsecret/kwallet on Linux). Only the
 * Electron shell may import `electron`, so the vault is built here and handed
 * to the brain (StationOptions.tokenVault).
 */
import { safeStorage } from 'electron';
import { FileTokenVault, tokensPath, type TokenCipher, type TokenVault } from '../agents/token-store.js';
import { settingsSecretsVault } from '../settings/store.js';

/** safeStorage as a cipher, or undefined when no real keychain is available (secrets then stay in 0600 files). */
export function keychainCipher(): TokenCipher | undefined {
  if (!safeStorage.isEncryptionAvailable()) return undefined;
  // Without a keyring Linux falls back to a fixed key ("basic_text"): no safer than the 0600 file, so use that.
  if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') return undefined;
  return { encrypt: (s) => safeStorage.encryptString(s), decrypt: (b) => safeStorage.decryptString(b) };
}

/** The sealed vault, or undefined (the brain then uses the 0600 file) when no real keychain is available. */
export function keychainTokenVault(dataDir: string): TokenVault | undefined {
  const cipher = keychainCipher();
  return cipher ? new FileTokenVault(tokensPath(dataDir, true), cipher, tokensPath(dataDir)) : undefined;
}

/** The settings' secrets (weather API key, S3 secret) sealed the same way; the 0600 file without a keychain. */
export function keychainSettingsVault(dataDir: string): TokenVault | undefined {
  const cipher = keychainCipher();
  return cipher ? settingsSecretsVault(dataDir, cipher) : undefined;
}
