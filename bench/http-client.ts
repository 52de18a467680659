/**
 * The load generator's user agent: Node's fetch (undici) with manual redirects,
 * a per-user cookie jar and submission of server-rendered forms. Both benchmark
 * targets are driven by this same code, so client cost is identical for each.
 */

export interface Response {
  url: string;
  status: number;
  location: string | undefined;
  body: string;
}

/**
 * Cookies per host, ignoring Path: a load generator measures server cost, not
 * cookie scoping (the real-browser e2e test covers that).
 */
export class CookieJar {
  private readonly jar = new Map<string, Map<string, string>>();

  header(url: URL): string | undefined {
    const host = this.jar.get(url.host);
    if (!host?.size) return undefined;
    return [...host].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  store(url: URL, headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const pair = line.split(';', 1)[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq < 1) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const host = this.jar.get(url.host) ?? new Map<string, string>();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) host.delete(name);
      else host.set(name, value);
      this.jar.set(url.host, host);
    }
  }
}

export class UserAgent {
  readonly cookies = new CookieJar();

  async request(url: string, init: { method?: string; form?: URLSearchParams } = {}): Promise<Response> {
    const u = new URL(url);
    const headers: Record<string, string> = { accept: 'text/html', 'accept-language': 'ja' };
    const cookie = this.cookies.header(u);
    if (cookie) headers.cookie = cookie;
    if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(u, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      headers,
      body: init.form?.toString(),
      redirect: 'manual',
    });
    this.cookies.store(u, res.headers);
    const location = res.headers.get('location');
    return {
      url: u.href,
      status: res.status,
      location: location ? new URL(location, u).href : undefined,
      body: await res.text(),
    };
  }

  /**
   * Follows redirects and submits each HTML page's first form (ignoring
   * cancel/abort forms, pressing the form's first named button) until a
   * redirect to `stopPrefix`, which is returned.
   */
  async browseTo(start: string, stopPrefix: string, maxSteps = 20): Promise<URL> {
    let res = await this.request(start);
    for (let i = 0; i < maxSteps; i++) {
      if (res.location) {
        if (res.location.startsWith(stopPrefix)) return new URL(res.location);
        res = await this.request(res.location);
        continue;
      }
      if (res.status !== 200) throw new Error(`HTTP ${res.status} at ${res.url}: ${errorText(res.body)}`);
      const form = firstForm(res.body, res.url);
      if (!form) throw new Error(`no form on ${res.url}`);
      res = await this.request(form.action, { form: form.fields });
    }
    throw new Error(`gave up after ${maxSteps} steps`);
  }
}

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&quot;': '"',
  '&#39;': "'",
  '&lt;': '<',
  '&gt;': '>',
};
const decode = (s: string) => s.replace(/&(amp|quot|#39|lt|gt);/g, (m) => ENTITIES[m] ?? m);

function firstForm(html: string, base: string): { action: string; fields: URLSearchParams } | undefined {
  for (const m of html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)) {
    const action = decode(m[1] ?? '');
    if (/\/(abort|cancel)$/.test(action)) continue;
    const inner = m[2] ?? '';
    const fields = new URLSearchParams();
    for (const i of inner.matchAll(/<input[^>]*name="([^"]*)"[^>]*value="([^"]*)"/g))
      fields.set(decode(i[1]!), decode(i[2]!));
    const button = /<button[^>]*name="([^"]*)"[^>]*value="([^"]*)"/.exec(inner);
    if (button) fields.set(decode(button[1]!), decode(button[2]!));
    return { action: new URL(action, base).href, fields };
  }
  return undefined;
}

function errorText(html: string): string {
  return (/<p class="error">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? html.slice(0, 200)).replace(/<[^>]+>/g, '');
}
