/** A service account's JSON key file, as Google Cloud issues it, for google-auth-library to sign its token requests with. */
export function serviceAccountKey(options: { privateKey: string; tokenUri: string; project: string; clientEmail: string; keyId?: string }): string {
  return JSON.stringify({
    type: 'service_account',
    project_id: options.project,
    private_key_id: options.keyId ?? 'test-key-id-0123456789',
    private_key: options.privateKey,
    client_email: options.clientEmail,
    client_id: '1234567890',
    token_uri: options.tokenUri,
  });
}
