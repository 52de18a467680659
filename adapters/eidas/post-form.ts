/** SAML HTTP-POST binding page (bindings §3.5.4): an auto-submitting form, with a button when scripts are off. */
import { escapeXml } from './xml.js';

export function renderPostForm(
  action: string,
  xml: string,
  relayState?: string,
  field: 'SAMLResponse' | 'SAMLRequest' = 'SAMLResponse',
): string {
  const a = escapeXml(action);
  const body = Buffer.from(xml, 'utf8').toString('base64');
  const relay =
    relayState === undefined
      ? ''
      : `<input type="hidden" name="RelayState" value="${escapeXml(relayState)}">`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>SAML</title></head><body onload="document.forms[0].submit()"><form method="post" action="${a}"><input type="hidden" name="${field}" value="${body}">${relay}<noscript><button type="submit">Continue</button></noscript></form></body></html>`;
}
