import 'reflect-metadata';
import { mkdir, readFile } from 'node:fs/promises';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  DirectoryString,
  GeneralName,
  id_ce_subjectAltName,
  OtherName,
  SubjectAlternativeName,
} from '@peculiar/asn1-x509';
import {
  AuthorityInfoAccessExtension,
  AuthorityKeyIdentifierExtension,
  CertificatePolicyExtension,
  CRLDistributionPointsExtension,
  Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectKeyIdentifierExtension,
  X509CertificateGenerator,
} from '@peculiar/x509';
import { z } from 'zod';
import { generateRsaKeyPair, loadMaterial, randomSerialHex, saveMaterial, writePrivate } from './keys.js';
import {
  DEFAULT_REVOCATION_BASE_URL,
  OID_SAN_ADDRESS,
  OID_SAN_ADDRESS_SUBSTITUTE,
  OID_SAN_BIRTH_DATE,
  OID_SAN_GENDER,
  OID_SAN_NAME,
  OID_SAN_NAME_SUBSTITUTE,
  POLICY_AUTH,
  POLICY_SIGN_PRODUCTION,
  POLICY_SIGN_TEST,
  REVOCATION_PATHS,
  SIGNING_ALGORITHM,
} from './profile.js';
import type { CaMaterial, CardHolder, CardKey, IssuedCard, IssueOptions, TestPki } from './types.js';

const DAY_MS = 24 * 3600 * 1000;

/** Full name as carried in otherName 1.2.392.200149.8.5.5.1: family U+3000 given. */
export function holderFullName(holder: CardHolder): string {
  return `${holder.familyName}\u3000${holder.givenName}`;
}

/** Sex code of otherName .5.5.3: 1 male, 2 female, 3 unknown. */
export function genderCode(gender: CardHolder['gender']): string {
  return gender === 'male' ? '1' : gender === 'female' ? '2' : '3';
}

/** `EYYYYMMDD`: era digit (1 Meiji .. 5 Reiwa, 0 unknown) + Gregorian date (otherName .5.5.4). */
export function jpkiBirthDate(isoDate: string): string {
  const compact = isoDate.replaceAll('-', '');
  const eras: [string, string][] = [
    ['20190501', '5'],
    ['19890108', '4'],
    ['19261225', '3'],
    ['19120730', '2'],
    ['18680125', '1'],
  ];
  const era = eras.find(([start]) => compact >= start)?.[1] ?? '0';
  return `${era}${compact}`;
}

const zeros = (s: string): string => '0'.repeat([...s].length);

function otherName(typeId: string, value: string): GeneralName {
  return new GeneralName({
    otherName: new OtherName({
      typeId,
      value: AsnConvert.serialize(new DirectoryString({ utf8String: value })),
    }),
  });
}

/** subjectAltName of the signature certificate: six otherNames, each `[0] EXPLICIT UTF8String`. */
export function basicFourSan(holder: CardHolder): Extension {
  const name = holderFullName(holder);
  const san = new SubjectAlternativeName([
    otherName(OID_SAN_NAME, name),
    otherName(OID_SAN_NAME_SUBSTITUTE, holder.nameSubstitutePositions ?? zeros(name)),
    otherName(OID_SAN_GENDER, genderCode(holder.gender)),
    otherName(OID_SAN_BIRTH_DATE, jpkiBirthDate(holder.birthDate)),
    otherName(OID_SAN_ADDRESS, holder.address),
    otherName(OID_SAN_ADDRESS_SUBSTITUTE, holder.addressSubstitutePositions ?? zeros(holder.address)),
  ]);
  return new Extension(id_ce_subjectAltName, false, AsnConvert.serialize(san));
}

const randomFrom = (alphabet: string, length: number): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(length)), (b) => alphabet[b % alphabet.length]).join('');

/** Opaque auth-cert CN in the shape of e.g. `997794E9AGCIEG13221003A`. */
const opaqueAuthCn = (): string => randomFrom('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', 23);

let signSequence = 0;
/** Sign-cert CN: YYYYMMDDhhmmss (request time) + 5-digit sequence + window code. */
function signCn(at: Date): string {
  signSequence = (signSequence + 1) % 100000;
  const ts = at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${ts}${String(signSequence).padStart(5, '0')}A`;
}

/** Default validity: now-1h .. 5 years (the 5th-birthday rule is not modelled). */
function validity(options: IssueOptions): { notBefore: Date; notAfter: Date } {
  const notBefore = options.notBefore ?? new Date(Date.now() - 3600 * 1000);
  return { notBefore, notAfter: options.notAfter ?? new Date(notBefore.getTime() + 5 * 365 * DAY_MS) };
}

async function issueEe(
  ca: CaMaterial,
  subject: string,
  usages: KeyUsageFlags,
  policy: string,
  urls: { ocsp: string; crl: string },
  options: IssueOptions,
  extra: Extension[],
): Promise<CardKey> {
  const keys = await generateRsaKeyPair();
  const certificate = await X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject,
    issuer: ca.certificate.subjectName,
    ...validity(options),
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new KeyUsagesExtension(usages, true),
      new CertificatePolicyExtension([policy], true),
      new CRLDistributionPointsExtension([urls.crl]),
      new AuthorityInfoAccessExtension({ ocsp: urls.ocsp }),
      await AuthorityKeyIdentifierExtension.create(ca.certificate.publicKey),
      await SubjectKeyIdentifierExtension.create(keys.publicKey),
      ...extra,
    ],
  });
  return { certificate, privateKey: keys.privateKey };
}

const randomDigits = (n: number): string => randomFrom('0123456789', n);

/** Issue a test My Number Card: auth + sign key pairs and certificates, random PINs. */
export async function issueCard(
  pki: TestPki,
  holder: CardHolder,
  options: IssueOptions = {},
): Promise<IssuedCard> {
  const base = DEFAULT_REVOCATION_BASE_URL;
  const ocsp = options.ocspUrl ?? {
    auth: base + REVOCATION_PATHS.ocsp.auth,
    sign: base + REVOCATION_PATHS.ocsp.sign,
  };
  const crl = options.crlUrl ?? {
    auth: base + REVOCATION_PATHS.crl.auth,
    sign: base + REVOCATION_PATHS.crl.sign,
  };
  const locality = holder.locality ?? { prefecture: 'Tokyo-to', city: 'Chiyoda-ku' };
  const auth = await issueEe(
    options.signedBy?.auth ?? pki.authCa,
    `C=JP, CN=${opaqueAuthCn()}`,
    KeyUsageFlags.digitalSignature,
    POLICY_AUTH,
    { ocsp: ocsp.auth, crl: crl.auth },
    options,
    [],
  );
  const sign = await issueEe(
    options.signedBy?.sign ?? pki.signCa,
    `C=JP, L=${locality.prefecture}, L=${locality.city}, CN=${signCn(new Date())}`,
    KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation,
    options.policy === 'production' ? POLICY_SIGN_PRODUCTION : POLICY_SIGN_TEST,
    { ocsp: ocsp.sign, crl: crl.sign },
    options,
    [basicFourSan(holder)],
  );
  return {
    id: options.id ?? `card-${randomFrom('0123456789abcdef', 8)}`,
    holder,
    auth,
    sign,
    authPin: options.authPin ?? randomDigits(4),
    signPin: options.signPin ?? randomFrom('ABCDEFGHJKLMNPQRSTUVWXYZ23456789', 8),
  };
}

/** Renewal: new key pairs and serials for the same holder, id and PINs (kept unless overridden). */
export async function renewCard(
  pki: TestPki,
  card: IssuedCard,
  options: IssueOptions = {},
): Promise<IssuedCard> {
  return issueCard(pki, card.holder, {
    id: card.id,
    authPin: card.authPin,
    signPin: card.signPin,
    ...options,
  });
}

const holderSchema = z.object({
  familyName: z.string(),
  givenName: z.string(),
  birthDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  gender: z.enum(['male', 'female', 'unknown']),
  address: z.string(),
  nameSubstitutePositions: z.string().optional(),
  addressSubstitutePositions: z.string().optional(),
  locality: z.object({ prefecture: z.string(), city: z.string() }).optional(),
});
const cardFileSchema = z.object({
  id: z.string(),
  holder: holderSchema,
  authPin: z.string().regex(/^\d{4}$/),
  signPin: z.string().regex(/^[A-Z0-9]{6,16}$/),
});

/** Write `card.json` (id, holder, PINs; 0600), `auth.pem/.key`, `sign.pem/.key` into `dir`. */
export async function saveCard(card: IssuedCard, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await saveMaterial(card.auth, dir, 'auth');
  await saveMaterial(card.sign, dir, 'sign');
  const file = { id: card.id, holder: card.holder, authPin: card.authPin, signPin: card.signPin };
  await writePrivate(`${dir}/card.json`, JSON.stringify(file, null, 2));
}

/** Load a card written by {@link saveCard}. */
export async function loadCard(dir: string): Promise<IssuedCard> {
  const file = cardFileSchema.parse(JSON.parse(await readFile(`${dir}/card.json`, 'utf8')));
  return {
    ...file,
    auth: await loadMaterial(dir, 'auth'),
    sign: await loadMaterial(dir, 'sign'),
  };
}
