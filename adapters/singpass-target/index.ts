/**
 * Singpass-like target: serves relying parties built for Singpass (FAPI 2.0:
 * PAR, DPoP, PKCE, private_key_jwt, ID token encrypted ECDH-ES+A256KW) with a
 * Japanese identity. It registers its RPs at the hub as `fapi2` clients and
 * owns them: `sub` becomes `u=<pairwise UUID>` and claims become Myinfo-like
 * person items. See docs/schemes/singpass.md.
 */
import { z } from 'zod';
import { defineTargetAdapter, type TargetClient } from '../../src/core/adapter.js';
import { myinfoClaims, type NameScript, SINGPASS_ACR_BY_LOA } from './person.js';
import { singpassSubject } from './subject.js';

const url = z.url({ protocol: /^https?$/ });

export const singpassRpSchema = z
  .object({
    client_id: z.string().min(1).max(255),
    client_name: z.string().max(255).optional(),
    redirect_uris: z.array(url).min(1),
    jwks: z
      .object({ keys: z.array(z.record(z.string(), z.unknown())).min(2) })
      .optional()
      .describe('One `use: sig` key (client assertion) and one `use: enc` EC key (ID token encryption).'),
    jwks_uri: url.optional(),
    sector_identifier: z.string().min(1).max(255).optional(),
    idTokenEnc: z.enum(['A256CBC-HS512', 'A256GCM']).default('A256CBC-HS512'),
    nameScript: z
      .enum(['Latn', 'Jpan'])
      .default('Latn')
      .describe('Script of the Myinfo `name` item; Latn transliterates kana (never kanji).'),
    subjectFormat: z
      .enum(['u=', 'uuid'])
      .default('u=')
      .describe("'u=<uuid>' (NDI OIDC) or the bare UUID (FAPI)."),
  })
  .strict()
  .refine((c) => c.jwks || c.jwks_uri, { message: 'jwks or jwks_uri is required' });

export const singpassTargetOptionsSchema = z.object({ clients: z.array(singpassRpSchema).min(1) }).strict();
export type SingpassTargetOptions = z.infer<typeof singpassTargetOptionsSchema>;

/** Myinfo scopes this target adds; each releases the item of the same name. */
export const MYINFO_SCOPES = ['dob', 'sex', 'nationality', 'regadd', 'email'] as const;

export const singpassTarget = defineTargetAdapter<SingpassTargetOptions>({
  kind: 'target',
  id: 'singpass',
  options: singpassTargetOptionsSchema,
  create(options) {
    const byId = new Map(options.clients.map((c) => [c.client_id, c]));
    const clients: TargetClient[] = options.clients.map((c) => ({
      client_id: c.client_id,
      ...(c.client_name && { client_name: c.client_name }),
      redirect_uris: c.redirect_uris,
      token_endpoint_auth_method: 'private_key_jwt',
      ...(c.jwks && { jwks: c.jwks }),
      ...(c.jwks_uri && { jwks_uri: c.jwks_uri }),
      ...(c.sector_identifier && { sector_identifier: c.sector_identifier }),
      subject_type: 'pairwise',
      profile: 'fapi2',
      id_token_signed_response_alg: 'ES256',
      id_token_encrypted_response_alg: 'ECDH-ES+A256KW',
      id_token_encrypted_response_enc: c.idTokenEnc,
    }));
    return {
      clients,
      claims: MYINFO_SCOPES.map((s) => ({ scope: s, claims: [s] })),
      acrValues: SINGPASS_ACR_BY_LOA,
      mapClaims(identity, clientId) {
        const script: NameScript = byId.get(clientId)?.nameScript ?? 'Latn';
        return myinfoClaims(identity, script);
      },
      formatSubject(pairwiseSub, clientId) {
        return singpassSubject(pairwiseSub, byId.get(clientId)?.subjectFormat ?? 'u=');
      },
    };
  },
});
