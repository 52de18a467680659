/**
 * The wallet's authorization response at the response endpoint (OpenID4VP 1.0 §8.2 `direct_post`,
 * §8.3 `direct_post.jwt`): decrypt when encrypted, check `state`, take the one presentation out of
 * `vp_token` (`{ "<credential query id>": ["<sd-jwt+kb>" | "<base64url DeviceResponse>"] }`), which must
 * answer exactly one of the DCQL query's credential queries. A wallet error
 * response (§8.5, `error=access_denied` …) ends the transaction as declined.
 */
import { compactDecrypt, importJWK, type JWK } from 'jose';
import { z } from 'zod';
import { eudiError } from '../errors.js';
import { DCQL_CREDENTIAL_ID, type Transaction } from './request.js';

const vpTokenSchema = z.record(z.string(), z.array(z.string().min(1)).min(1).max(1));
const payloadSchema = z.object({ vp_token: z.unknown(), state: z.string().optional() }).loose();
const formSchema = z.record(z.string(), z.unknown());

/** The one presentation in `vp_token` and the id of the credential query it answers. */
export interface ReadPresentation {
  readonly queryId: string;
  readonly presentation: string;
}

function parseVpToken(raw: unknown, queryIds: readonly string[]): ReadPresentation {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch (cause) {
      throw eudiError('ERR_EUDI_RESPONSE_INVALID', { cause });
    }
  }
  const parsed = vpTokenSchema.safeParse(value);
  // The query's credential_sets let the wallet answer one query: exactly one of ours, nothing else.
  const keys = parsed.success ? Object.keys(parsed.data) : [];
  const queryId = keys.length === 1 && queryIds.includes(keys[0]!) ? keys[0]! : undefined;
  const presentation = queryId && parsed.success ? parsed.data[queryId]?.[0] : undefined;
  if (!queryId || !presentation) throw eudiError('ERR_EUDI_RESPONSE_INVALID');
  return { queryId, presentation };
}

/**
 * The presentation from a response body. Throws ERR_EUDI_RESPONSE_INVALID (not decryptable, not the
 * response mode of the request, no vp_token for our query), ERR_EUDI_STATE or ERR_EUDI_WALLET_DECLINED.
 */
export async function readResponse(
  body: unknown,
  tx: Transaction,
  state: string,
  queryIds: readonly string[] = [DCQL_CREDENTIAL_ID],
): Promise<ReadPresentation> {
  const form = formSchema.safeParse(body);
  if (!form.success) throw eudiError('ERR_EUDI_RESPONSE_INVALID');
  // Error responses are not encrypted (the wallet may have no key to encrypt to when it cannot proceed).
  if (typeof form.data.error === 'string' && form.data.vp_token === undefined && !form.data.response) {
    if (form.data.state !== state) throw eudiError('ERR_EUDI_STATE');
    throw eudiError('ERR_EUDI_WALLET_DECLINED');
  }
  let payload: z.infer<typeof payloadSchema>;
  if (tx.responseMode === 'direct_post.jwt') {
    if (typeof form.data.response !== 'string') throw eudiError('ERR_EUDI_RESPONSE_INVALID');
    try {
      const key = await importJWK(tx.encJwk as JWK, 'ECDH-ES');
      const { plaintext } = await compactDecrypt(form.data.response, key, {
        keyManagementAlgorithms: ['ECDH-ES'],
        contentEncryptionAlgorithms: ['A128GCM', 'A256GCM'],
      });
      payload = payloadSchema.parse(JSON.parse(new TextDecoder().decode(plaintext)));
    } catch (cause) {
      throw eudiError('ERR_EUDI_RESPONSE_INVALID', { cause });
    }
  } else {
    const p = payloadSchema.safeParse(form.data);
    if (!p.success) throw eudiError('ERR_EUDI_RESPONSE_INVALID');
    payload = p.data;
  }
  if (payload.state !== state) throw eudiError('ERR_EUDI_STATE');
  return parseVpToken(payload.vp_token, queryIds);
}
