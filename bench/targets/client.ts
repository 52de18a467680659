/** The one relying party both targets register: private_key_jwt (ES256), pairwise subjects. */
import { exportJWK, generateKeyPair, type JWK } from 'jose';

export const BENCH_REDIRECT_URI = 'http://127.0.0.1:9/cb';
export const BENCH_SCOPE = 'openid profile address';

export interface BenchClient {
  clientId: string;
  privateJwk: JWK;
  /** Client metadata in the gateway's config shape (also valid oidc-provider metadata). */
  metadata: {
    client_id: string;
    client_name: string;
    redirect_uris: string[];
    token_endpoint_auth_method: 'private_key_jwt';
    jwks: { keys: JWK[] };
    subject_type: 'pairwise';
    id_token_signed_response_alg: 'ES256';
  };
}

export async function makeBenchClient(clientId = 'bench-rp'): Promise<BenchClient> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = `bench-${Date.now().toString(36)}`;
  const privateJwk = { ...(await exportJWK(privateKey)), alg: 'ES256', kid };
  const publicJwk = { ...(await exportJWK(publicKey)), alg: 'ES256', kid, use: 'sig' };
  return {
    clientId,
    privateJwk,
    metadata: {
      client_id: clientId,
      client_name: 'Benchmark RP',
      redirect_uris: [BENCH_REDIRECT_URI],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [publicJwk] },
      subject_type: 'pairwise',
      id_token_signed_response_alg: 'ES256',
    },
  };
}
