import type { X509Certificate } from '@peculiar/x509';

/** A CA (or OCSP responder) certificate with its private key. */
export interface CaMaterial {
  certificate: X509Certificate;
  privateKey: CryptoKey;
}

/** The JPKI test hierarchy: two independent one-level roots plus delegated OCSP responders. */
export interface TestPki {
  /** Current generation first; `authCaGenerations`/`signCaGenerations` hold older generations with the SAME subject DN (select by signature!). */
  authCa: CaMaterial;
  signCa: CaMaterial;
  /** All generations, index 0 = current (=== authCa), higher index = older. */
  authCaGenerations: CaMaterial[];
  signCaGenerations: CaMaterial[];
  /** Delegated OCSP responder certs (EKU id-kp-OCSPSigning, issued by each CA's current generation). */
  authOcspResponder: CaMaterial;
  signOcspResponder: CaMaterial;
}

/** The basic 4 attributes as recorded on the card (already with substitute characters applied). */
export interface CardHolder {
  familyName: string;
  givenName: string;
  /** YYYY-MM-DD (Gregorian). */
  birthDate: string;
  gender: 'male' | 'female' | 'unknown';
  /** From the prefecture onward, no postcode. */
  address: string;
  /** One digit per character of `family + U+3000 + given`: 1 = substitute character. Default all `0`. */
  nameSubstitutePositions?: string;
  /** One digit per character of `address`. Default all `0`. */
  addressSubstitutePositions?: string;
  /** Romanised locality for the sign-cert subject `L=` RDNs (extension of the shared contract). */
  locality?: { prefecture: string; city: string };
}

export interface CardKey {
  certificate: X509Certificate;
  /** RSASSA-PKCS1-v1_5 SHA-256, RSA-2048, extractable (the virtual card exports it). */
  privateKey: CryptoKey;
}

export interface IssuedCard {
  id: string;
  holder: CardHolder;
  auth: CardKey;
  sign: CardKey;
  /** 4 digits. */
  authPin: string;
  /** 6-16 characters of [A-Z0-9]. */
  signPin: string;
}

export interface IssueOptions {
  notBefore?: Date;
  notAfter?: Date;
  ocspUrl?: { auth: string; sign: string };
  crlUrl?: { auth: string; sign: string };
  policy?: 'test' | 'production';
  /** For forgery tests: e.g. auth cert signed by the sign CA. Defaults to the current generations. */
  signedBy?: { auth?: CaMaterial; sign?: CaMaterial };
  /** Card id (directory name under cards/); random when absent. */
  id?: string;
  /** PINs; random when absent. */
  authPin?: string;
  signPin?: string;
}
