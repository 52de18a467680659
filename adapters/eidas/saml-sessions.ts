/**
 * SAML session bookkeeping for Single Logout: which SPs a browser has logged in to through this IdP, with
 * the NameID and SessionIndex each one holds, and the hub ID token used as id_token_hint to end the hub session.
 * Everything is in the sealed store (NameIDs are pseudonymous but still identifiers), expiring with the
 * configured session lifetime. A record is found by the browser's session cookie or, for a LogoutRequest
 * that arrives without the cookie (a cross-site HTTP-POST), by (SP, NameID).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SealedStore } from '../../src/core/adapter.js';

export interface Participant {
  readonly sp: string;
  readonly nameId: string;
  readonly nameIdFormat: string;
  readonly sessionIndex: string;
}

export interface SessionRecord {
  readonly participants: readonly Participant[];
  /** The hub client and ID token of the latest login (id_token_hint for the hub's logout). */
  readonly hubClientId: string;
  readonly idToken?: string;
  /** CSRF token of the IdP-initiated logout form. */
  readonly csrf: string;
}

const NS_SESSION = 'saml-session';
const NS_INDEX = 'saml-session-index';
const indexKey = (sp: string, nameId: string) =>
  createHash('sha256').update(`${sp}\0${nameId}`).digest('base64url');

export function createSessions(sealed: SealedStore, ttlSeconds: number) {
  return {
    async get(sid: string | undefined): Promise<SessionRecord | undefined> {
      return sid ? sealed.get<SessionRecord>(NS_SESSION, sid) : undefined;
    },

    /** Add (or replace) the SP's participation; returns the session id (new when `sid` is unknown). */
    async join(
      sid: string | undefined,
      p: Participant,
      hub: { clientId: string; idToken?: string },
    ): Promise<string> {
      const existing = sid ? await sealed.get<SessionRecord>(NS_SESSION, sid) : undefined;
      const id = existing && sid ? sid : randomBytes(24).toString('base64url');
      const record: SessionRecord = {
        participants: [...(existing?.participants ?? []).filter((x) => x.sp !== p.sp), p],
        hubClientId: hub.clientId,
        ...(hub.idToken && { idToken: hub.idToken }),
        csrf: existing?.csrf ?? randomBytes(24).toString('base64url'),
      };
      await sealed.put(NS_SESSION, id, record, ttlSeconds);
      await sealed.put(NS_INDEX, indexKey(p.sp, p.nameId), id, ttlSeconds);
      return id;
    },

    /** The session in which `sp` holds `nameId` (cookie first, then the index). */
    async find(
      cookieSid: string | undefined,
      sp: string,
      nameId: string,
    ): Promise<{ sid: string; record: SessionRecord } | undefined> {
      for (const sid of [cookieSid, await sealed.get<string>(NS_INDEX, indexKey(sp, nameId))]) {
        const record = sid ? await sealed.get<SessionRecord>(NS_SESSION, sid) : undefined;
        if (sid && record?.participants.some((x) => x.sp === sp && x.nameId === nameId))
          return { sid, record };
      }
      return undefined;
    },

    /** Forget the session and its index entries. */
    async end(sid: string, record: SessionRecord): Promise<void> {
      await sealed.delete(NS_SESSION, sid);
      for (const p of record.participants) await sealed.delete(NS_INDEX, indexKey(p.sp, p.nameId));
    },
  };
}
export type Sessions = ReturnType<typeof createSessions>;
