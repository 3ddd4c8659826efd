// A real OpenID Connect provider (the certified oidc-provider package) for tests/sso, on loopback only.
//
// Configured like Microsoft Entra ID and Google: ID tokens carry email, email_verified, name, amr and the
// tenant claim (Entra's `tid` or Google's `hd`), PKCE is required, and the authorisation code flow is the only one.
// Sign-in and consent are approved at once for whichever account the test last named; a small control API on the
// same port lets a test name that account, cancel the next consent, take the token or keys endpoint down once, or
// tamper with the next ID token the way an attacker would (wrong audience, bad signature, expired, a nonce from an
// earlier sign-in). An account named with a `password` gets real pages instead (for the browser test): a sign-in
// form that checks the email and password, then a consent page with "Accept" and "Cancel".
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
    delete claims.password;  // the browser test's sign-in password is never a claim
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
  if (ctx.path.startsWith('/interaction/') && account.password) {
    await interactionPages(ctx);
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

// --- the pages a person sees (accounts named with a password) ----------------------------------------------

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

function page(ctx, title, body, status = 200) {
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

function loginPage(ctx, uid, error = '') {
  page(ctx, 'Sign in to your account', `
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
  <p><label for="login">Email, phone or Skype</label><br><input id="login" name="login" type="email" autocomplete="username"></p>
  <p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password"></p>
  <p><button type="submit">Sign in</button></p>
</form>`, error ? 400 : 200);
}

function consentPage(ctx, uid, details) {
  const scopes = [...(details.prompt.details.missingOIDCScope || [])];
  page(ctx, 'Permissions requested', `
<p>${escapeHtml(details.params.client_id)} would like to:</p>
<ul>${scopes.map((scope) => `<li>${escapeHtml(scope)}</li>`).join('')}</ul>
<form method="post" action="/interaction/${uid}/confirm"><button type="submit">Accept</button></form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form>`);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

async function finish(ctx, result, mergeWithLastSubmission) {
  ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission }));
}

async function interactionPages(ctx) {
  const [, , uid, action] = ctx.path.split('/');
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === 'GET' && !action) {
    if (details.prompt.name === 'login') loginPage(ctx, uid);
    else consentPage(ctx, uid, details);
    return;
  }
  if (ctx.method !== 'POST') {
    ctx.status = 405;
    return;
  }
  if (action === 'login') {
    const form = await readForm(ctx.req);
    if (form.login?.toLowerCase() !== account.email.toLowerCase() || form.password !== account.password) {
      loginPage(ctx, uid, 'Your account or password is incorrect.');
      return;
    }
    await finish(ctx, { login: { accountId: account.sub, amr: account.amr } }, false);
  } else if (action === 'confirm') {
    const grant = details.grantId ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    await finish(ctx, { consent: details.grantId ? {} : { grantId } }, true);
  } else if (action === 'abort') {
    await finish(ctx, { error: 'access_denied', error_description: 'The user cancelled the sign-in' }, false);
  } else {
    ctx.status = 404;
  }
}

provider.listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
