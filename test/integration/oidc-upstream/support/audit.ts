/** Reads the gateway's audit log (test only) to assert the code a refusal was recorded with. */
import type { Gateway } from '../../../../src/app.js';

export async function auditEvents(gateway: Gateway): Promise<Record<string, unknown>[]> {
  const records = await gateway.store.readAudit(0, 10_000);
  return records.map((r) => JSON.parse(r.body) as Record<string, unknown>);
}

export async function lastRefusal(gateway: Gateway): Promise<Record<string, unknown> | undefined> {
  return (await auditEvents(gateway)).filter((e) => e.type === 'login.refused').at(-1);
}
