import { GatewayError } from './errors.js';
import { type CanonicalIdentity, type CanonicalIdentityInput, canonicalIdentitySchema } from './identity.js';

export function parseCanonicalIdentity(input: CanonicalIdentityInput | unknown): CanonicalIdentity {
  const result = canonicalIdentitySchema.safeParse(input);
  if (!result.success) {
    const where = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new GatewayError('ERR_IDENTITY_INVALID', `source produced an invalid identity (${where})`, {
      oauth: 'server_error',
      status: 500,
    });
  }
  return result.data;
}
