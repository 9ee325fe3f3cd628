// A real OpenID Provider for the SSO tests: panva's oidc-provider (OpenID Certified), with its
// development login page (any login and password; the login becomes the subject and e-mail).
// Started by tests/sso/providers.py, never deployed.
//
//   node server.mjs '{"port": 0, "now": 1778668200, "client_id": "...", "client_secret": "...",
//                     "redirect_uris": ["http://..."], "accounts": {"a@x.example": {...}}}'
//
// It prints one line `listening <port>` when it answers.
//
// Two adaptations to the test harness, neither touching the protocol:
// - The suite runs Django at a pinned instant (tests/clock.py); "now" moves this process to it,
//   so the ID token's iat/exp are judged on the same clock. Chromium keeps the real clock, so
//   the provider's cookies are sent without an expiry (browser-session cookies), as the
//   browser tests do for Django's own cookies.
// - The login page's stylesheet imports a web font; the import is dropped so a test never
//   reaches beyond the loopback address.
import Provider from 'oidc-provider';
import { generateKeyPair, exportJWK } from 'jose';

const options = JSON.parse(process.argv[2] || '{}');

if (options.now) {
  const offset = options.now * 1000 - Date.now();
  const RealDate = Date;
  class PinnedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + offset);
      else super(...args);
    }
    static now() {
      return RealDate.now() + offset;
    }
  }
  globalThis.Date = PinnedDate;
}

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'test-rs256', use: 'sig', alg: 'RS256' };

const accounts = options.accounts || {};
const host = '127.0.0.1';
const port = options.port || 0;

function accountClaims(id) {
  const extra = accounts[id] || {};
  return { sub: extra.sub || id, email: id, email_verified: true, name: extra.name || id, ...extra };
}

async function start() {
  const server = (await import('node:http')).createServer();
  await new Promise((resolve) => server.listen(port, host, resolve));
  const actualPort = server.address().port;
  const issuer = `http://${host}:${actualPort}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.client_id,
        client_secret: options.client_secret,
        redirect_uris: options.redirect_uris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    // A relying party that forgets PKCE is refused, so the tests prove it is sent.
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    findAccount: async (ctx, id) => ({
      accountId: id,
      claims: async () => accountClaims(id),
    }),
    // A company's IdP approves its own applications: no consent screen after the login.
    loadExistingGrant: async (ctx) => {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
    jwks: { keys: [signingKey] },
    cookies: { keys: ['alignment-test-cookie-key'] },
    ttl: { IdToken: 3600, AccessToken: 3600, AuthorizationCode: 60 },
  });
  provider.proxy = false;
  provider.use(async (ctx, next) => {
    await next();
    const cookies = ctx.response.headers['set-cookie'];
    if (cookies) {
      ctx.set(
        'set-cookie',
        [].concat(cookies).map((c) => c.replace(/;\s*expires=[^;]*/gi, '').replace(/;\s*max-age=[^;]*/gi, '')),
      );
    }
    if (typeof ctx.body === 'string' && ctx.type === 'text/html') {
      ctx.body = ctx.body.replace(/@import url\([^)]*\);/g, '');
    }
  });
  server.on('request', provider.callback());
  process.stdout.write(`listening ${actualPort}\n`);
}

start().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
