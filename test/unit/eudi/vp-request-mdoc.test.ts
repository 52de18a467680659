/**
 * The DCQL query's mdoc alternatives (request.ts) and the response endpoint's choice of the one answered query
 * (response.ts): without trusted docTypes the query is the SD-JWT VC one alone; a vp_token must answer exactly
 * one of the queries asked for.
 */
import { describe, expect, it } from 'vitest';
import { JP_PID_STYLE_DOCTYPE, PID_NAMESPACE } from '../../../adapters/eudi/issuer/mdoc.js';
import { EU_PID_DOCTYPE } from '../../../adapters/eudi/pid-claims.js';
import { dcqlQuery, mdocElements, type Transaction } from '../../../adapters/eudi/verifier/request.js';
import { readResponse } from '../../../adapters/eudi/verifier/response.js';

const tx: Transaction = {
  uid: 'u1',
  nonce: 'n1',
  exp: 2_000_000_000,
  attributes: ['address'],
  responseMode: 'direct_post',
};
const ids = ['pid', 'pid_mdoc_0'];
const read = (vpToken: unknown) =>
  readResponse({ vp_token: JSON.stringify(vpToken), state: 's1' }, tx, 's1', ids);

describe('DCQL mdoc alternatives', () => {
  it('asks for the SD-JWT VC alone when no docType is trusted', () => {
    const q = dcqlQuery(['urn:x'], ['address']);
    expect(q.credentials.map((c) => c.format)).toEqual(['dc+sd-jwt']);
    expect(q).not.toHaveProperty('credential_sets');
  });

  it('one mso_mdoc query per docType, as options of one credential set', () => {
    const q = dcqlQuery(['urn:x'], ['address', 'gender'], [EU_PID_DOCTYPE, JP_PID_STYLE_DOCTYPE]);
    expect(q.credentials.map((c) => [c.id, c.format])).toEqual([
      ['pid', 'dc+sd-jwt'],
      ['pid_mdoc_0', 'mso_mdoc'],
      ['pid_mdoc_1', 'mso_mdoc'],
    ]);
    expect(q.credential_sets).toEqual([
      { options: [['pid'], ['pid_mdoc_0'], ['pid_mdoc_1']], required: true },
    ]);
    const m = q.credentials[2] as unknown as {
      meta: { doctype_value: string };
      claims: { id: string; path: string[] }[];
      claim_sets: string[][];
    };
    expect(m.meta).toEqual({ doctype_value: JP_PID_STYLE_DOCTYPE });
    expect(m.claims.map((c) => c.path)).toEqual(
      mdocElements(['address', 'gender']).map((e) => [PID_NAMESPACE, e]),
    );
    // The optional address details are left out of the second claim set.
    const byId = new Map(m.claims.map((c) => [c.id, c.path[1]]));
    expect(m.claim_sets[1]!.map((id) => byId.get(id))).toEqual([
      'family_name',
      'given_name',
      'birth_date',
      'resident_address',
      'resident_country',
      'sex',
    ]);
  });
});

describe('the one answered query', () => {
  it('returns the query id with the presentation', async () => {
    await expect(read({ pid_mdoc_0: ['abc'] })).resolves.toEqual({
      queryId: 'pid_mdoc_0',
      presentation: 'abc',
    });
    await expect(read({ pid: ['x~y~'] })).resolves.toEqual({ queryId: 'pid', presentation: 'x~y~' });
  });

  it('refuses two answers, an id not asked for, and none', async () => {
    for (const v of [{ pid: ['a'], pid_mdoc_0: ['b'] }, { pid_mdoc_1: ['b'] }, {}])
      await expect(read(v)).rejects.toMatchObject({ code: 'ERR_EUDI_RESPONSE_INVALID' });
  });
});
