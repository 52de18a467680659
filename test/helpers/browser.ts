/**
 * A minimal cookie-keeping "browser" over fetch for protocol tests: follows
 * redirects by hand (so a test can stop at the RP's redirect_uri), keeps
 * cookies per host, and submits the forms of the server-rendered pages.
 */
export interface Page {
  url: string;
  status: number;
  body: string;
  headers: Headers;
}

export class TestBrowser {
  /** host -> (name + path) -> cookie; paths are honoured as a real browser does (RFC 6265 §5.1.4). */
  private readonly cookies = new Map<string, Map<string, { name: string; value: string; path: string }>>();
  acceptLanguage = 'ja';

  private cookieHeader(url: URL): string | undefined {
    const jar = this.cookies.get(url.host);
    const matching = [...(jar?.values() ?? [])].filter(
      (c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`),
    );
    if (matching.length === 0) return undefined;
    return matching.map((c) => `${c.name}=${c.value}`).join('; ');
  }

  private store(url: URL, headers: Headers) {
    for (const line of headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const pathAttr = attrs.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('path='));
      const defaultPath =
        url.pathname.lastIndexOf('/') > 0 ? url.pathname.slice(0, url.pathname.lastIndexOf('/')) : '/';
      const path = pathAttr ? pathAttr.slice(5) || '/' : defaultPath;
      const jar = this.cookies.get(url.host) ?? new Map();
      const id = `${name};${path}`;
      if (/expires=Thu, 01 Jan 1970/i.test(line) || /max-age=0/i.test(line) || value === '') jar.delete(id);
      else jar.set(id, { name, value, path });
      this.cookies.set(url.host, jar);
    }
  }

  /** Drop a cookie (and its signature cookie) from every path of every host, as a user clearing it would. */
  forget(name: string): void {
    for (const jar of this.cookies.values())
      for (const [id, c] of jar) if (c.name === name || c.name === `${name}.sig`) jar.delete(id);
  }

  /** One request, no redirect following. */
  async request(
    url: string,
    init: { method?: string; body?: URLSearchParams | string; headers?: Record<string, string> } = {},
  ): Promise<Page> {
    const u = new URL(url);
    const headers: Record<string, string> = {
      'accept-language': this.acceptLanguage,
      accept: 'text/html',
      ...init.headers,
    };
    const cookie = this.cookieHeader(u);
    if (cookie) headers.cookie = cookie;
    if (init.body instanceof URLSearchParams) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(u, {
      method: init.method ?? 'GET',
      headers,
      body: init.body?.toString(),
      redirect: 'manual',
    });
    this.store(u, res.headers);
    return { url, status: res.status, body: await res.text(), headers: res.headers };
  }

  /** Follow redirects until a non-redirect or a URL matching `stopAt`. Returns the last page, or the stop URL. */
  async follow(start: Page | string, stopAt?: (url: string) => boolean, max = 20): Promise<Page> {
    let page = typeof start === 'string' ? await this.request(start) : start;
    for (let i = 0; i < max; i++) {
      const loc = page.headers.get('location');
      if (page.status < 300 || page.status >= 400 || !loc) return page;
      const next = new URL(loc, page.url).href;
      if (stopAt?.(next)) return { url: next, status: 0, body: '', headers: new Headers() };
      page = await this.request(next);
    }
    throw new Error('too many redirects');
  }

  /** Submit the form whose action contains `actionPart` (or, for `#id`, the form with that id), with optional extra fields (e.g. the clicked button). */
  async submit(
    page: Page,
    actionPart: string,
    extra: Record<string, string> = {},
    stopAt?: (url: string) => boolean,
  ): Promise<Page> {
    // '#name' picks the form with that id; anything else, the first form whose action contains it.
    const forms = [...page.body.matchAll(/<form([^>]*)>([\s\S]*?)<\/form>/g)].map((f) => ({
      id: /\sid="([^"]*)"/.exec(` ${f[1]}`)?.[1],
      action: decode(/\saction="([^"]*)"/.exec(` ${f[1]}`)?.[1] ?? ''),
      inner: f[2] ?? '',
    }));
    const form = forms.find((f) =>
      actionPart.startsWith('#') ? f.id === actionPart.slice(1) : f.action.includes(actionPart),
    );
    if (!form) throw new Error(`no form matching ${actionPart} on ${page.url}:\n${page.body.slice(0, 2000)}`);
    const fields = new URLSearchParams();
    for (const m of form.inner.matchAll(/<input[^>]*name="([^"]*)"[^>]*value="([^"]*)"/g))
      fields.set(decode(m[1]!), decode(m[2]!));
    for (const [k, v] of Object.entries(extra)) fields.set(k, v);
    const action = new URL(form.action, page.url).href;
    return this.follow(await this.request(action, { method: 'POST', body: fields }), stopAt);
  }
}

function decode(s: string): string {
  return s
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}
