// A real OpenID Connect provider (the certified oidc-provider package) for tests/sso, on loopback only.
//
// Configured like Microsoft Entra ID and Google: ID tokens carry email, email_verified, name, amr and the
// tenant claim (Entra's `tid` or Google's `hd`), PKCE is required, and the authorisation code flow is the only one.
// Sign-in and consent are approved at once for whichever account the test last named; a small control API on the
// same port lets a test name that account, cancel the next consent, take the token or keys endpoint down once, or
// tamper with the next ID token the way an attacker would (wrong audience, bad signature, expired, a nonce from an
// earlier sign-in).
//
//   PORT=5999 CLIENT_ID=... CLIENT_SECRET=... REDIRECT_URIS=a,b node provider.mjs
import Provider from 'oidc-provider';
import * as jose from 'jose';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const keyId = 'elearn-test-key';

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await jose.exportJWK(privateKey)), kid: keyId, alg: 'RS256', use: 'sig' };
const { privateKey: strangerKey } = await jose.generateKeyPair('RS256');  // signs the "bad signature" tokens

let account = { sub: 'nobody', email: 'nobody@example.org', email_verified: true, amr: ['pwd'] };
let cancelNext = false;
let tamperNext = null;  // 'aud' | 'expired' | 'signature' | 'replay_nonce'
let downNext = null;  // '/token' | '/jwks': that endpoint answers 503 once, as during an outage
let lastNonce = null;

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: process.env.REDIRECT_URIS.split(','),
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  jwks: { keys: [signingJwk] },
  pkce: { required: () => true },
  conformIdTokenClaims: false,  // the claims in the ID token itself, as Entra and Google send them
  claims: {
    openid: ['sub', 'tid', 'hd', 'amr', 'acr', 'auth_time'],
    email: ['email', 'email_verified', 'xms_edov'],
    profile: ['name', 'given_name', 'family_name'],
  },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const claims = { ...account };
    delete claims.amr;
    return { accountId: id, async claims() { return { ...claims, sub: id }; } };
  },
  cookies: { keys: ['elearn-test-cookie-key'] },
});
provider.proxy = false;

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
}

async function tamper(idToken, how) {
  const payload = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  let key = privateKey;
  if (how === 'aud') payload.aud = 'someone-else';
  if (how === 'expired') Object.assign(payload, { iat: now - 7200, exp: now - 3600 });
  if (how === 'replay_nonce') payload.nonce = lastNonce;
  if (how === 'signature') key = strangerKey;
  return new jose.SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: keyId }).sign(key);
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/test/account' && ctx.method === 'POST') {
    account = await readJson(ctx.req);
    cancelNext = false;
    tamperNext = null;
    downNext = null;
    ctx.body = { ok: true };
    return;
  }
  if (ctx.path === '/test/next' && ctx.method === 'POST') {
    const wanted = await readJson(ctx.req);
    cancelNext = Boolean(wanted.cancel);
    tamperNext = wanted.tamper || null;
    downNext = wanted.down || null;
    ctx.body = { ok: true };
    return;
  }
  if (downNext && ctx.path === downNext) {
    downNext = null;
    ctx.status = 503;
    ctx.body = 'Service unavailable';
    return;
  }
  if (ctx.path.startsWith('/interaction/')) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    let result;
    if (cancelNext) {
      cancelNext = false;
      result = { error: 'access_denied', error_description: 'The user declined to sign in' };
    } else {
      const grant = new provider.Grant({ accountId: account.sub, clientId: details.params.client_id });
      grant.addOIDCScope(details.params.scope);
      result = { login: { accountId: account.sub, amr: account.amr }, consent: { grantId: await grant.save() } };
    }
    ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }));
    return;
  }
  await next();
  if (ctx.path === '/token' && ctx.body && ctx.body.id_token) {
    const issuedNonce = jose.decodeJwt(ctx.body.id_token).nonce;
    if (tamperNext) {
      ctx.body = { ...ctx.body, id_token: await tamper(ctx.body.id_token, tamperNext) };
      tamperNext = null;
    }
    lastNonce = issuedNonce;
  }
});

provider.listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
