"""Sign-in through OpenID Connect (SURFconext, Entra ID, Google Workspace) for board members,
coordinators and administrators. Respondents never sign in.

The authorization code flow with PKCE (S256), through Authlib's OAuth2 client: `start` makes the
provider's URL and the secrets this browser must bring back (state, nonce, code verifier; the
web layer keeps them in a signed cookie); `finish` checks the state, trades the code for tokens,
verifies the id token with joserfc (Authlib's JOSE library) against the provider's published
keys (signature, `iss`, `aud`, `exp`, `nonce`) and signs the account in:

- an account with the e-mail address (case-insensitive) is matched, its role and institutions
  kept as they are;
- otherwise an account is made when the institution claim (`schac_home_organization` in
  SURFconext) is a domain of an institution, or, when the provider sends no such claim, the
  e-mail address's domain is; it gets that institution's granted role (never admin);
- any other domain gets no account.

The provider's discovery document and keys are kept for ten minutes per issuer; an id token
signed with a key not in the kept set makes one fresh read (the provider rotated its keys).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Mapping
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError
from joserfc.jwk import KeySet
from sqlmodel import Session

from api.platform.errors import DomainError
from api.platform.models import Account
from api.platform.settings import Settings
from api.setup import account_links, accounts, audit, sign_in_policy

CACHE_SECONDS = 600
LEEWAY_SECONDS = 60  # clocks of two servers differ a little
_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
               "EdDSA")  # public-key signatures only: never "none", never a shared secret
_cache: dict[str, tuple[float, dict, dict | None]] = {}
_cache_lock = threading.Lock()


class SsoRefused(DomainError):
    """The sign-in could not be trusted (state, nonce, issuer, token); nothing is stored."""

    status_code = 400
    code = "sso_refused"


class SsoNotAllowed(DomainError):
    """The provider vouched for the person, but Kennisster has no place for them."""

    status_code = 403
    code = "sso_unknown_domain"


class SsoProviderDown(DomainError):
    status_code = 502
    code = "sso_provider_unreachable"


def _now() -> int:
    """The clock the id token's times are checked against (a test moves it)."""
    return int(time.time())


def _fetch_json(settings: Settings, url: str) -> dict:
    try:
        response = httpx.get(url, timeout=settings.oidc_timeout_seconds,
                             headers={"Accept": "application/json"})
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SsoProviderDown(f"The sign-in provider did not answer at {url}.") from exc
    if not isinstance(data, dict):
        raise SsoProviderDown(f"The sign-in provider sent no JSON object at {url}.")
    return data


def provider_metadata(settings: Settings, *, fresh_keys: bool = False) -> tuple[dict, dict]:
    """The provider's discovery document and its key set; refused when the document names
    another issuer than the one configured (OpenID Connect Discovery 1.0, section 4.3)."""
    issuer = settings.oidc_issuer
    with _cache_lock:
        kept = _cache.get(issuer)
    if kept and kept[0] > time.monotonic() and not fresh_keys and kept[2] is not None:
        return kept[1], kept[2]
    meta = kept[1] if kept and kept[0] > time.monotonic() else _fetch_json(
        settings, issuer.rstrip("/") + "/.well-known/openid-configuration")
    if meta.get("issuer") != issuer:
        raise SsoRefused(f"The provider calls itself {meta.get('issuer')!r}, not {issuer!r}.",
                         code="sso_issuer_wrong")
    for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(meta.get(field), str):
            raise SsoProviderDown(f"The provider's discovery document has no {field}.")
    keys = _fetch_json(settings, meta["jwks_uri"])
    with _cache_lock:
        _cache[issuer] = (time.monotonic() + CACHE_SECONDS, meta, keys)
    return meta, keys


def _client(settings: Settings, redirect_uri: str) -> OAuth2Client:
    scopes = settings.oidc_scopes.split()
    return OAuth2Client(client_id=settings.oidc_client_id,
                        client_secret=settings.oidc_client_secret,
                        scope=" ".join(["openid", *[s for s in scopes if s != "openid"]]),
                        redirect_uri=redirect_uri, code_challenge_method="S256",
                        timeout=settings.oidc_timeout_seconds)


def start(*, settings: Settings, redirect_uri: str) -> tuple[str, dict[str, str]]:
    """The provider's authorization URL, and the secrets the callback must match (kept by the
    browser in a signed cookie, never in the URL except the state)."""
    meta, _keys = provider_metadata(settings)
    verifier, nonce = generate_token(64), generate_token(32)
    with _client(settings, redirect_uri) as client:
        url, state = client.create_authorization_url(meta["authorization_endpoint"],
                                                     code_verifier=verifier, nonce=nonce)
    return url, {"s": state, "n": nonce, "c": verifier}


def _verified_claims(settings: Settings, id_token: str, nonce: str) -> dict[str, Any]:
    meta, keys = provider_metadata(settings)
    try:
        token = jwt.decode(id_token, KeySet.import_key_set(keys), algorithms=list(_ALGORITHMS))
    except JoseError:  # perhaps a new key: read the key set once more
        meta, keys = provider_metadata(settings, fresh_keys=True)
        try:
            token = jwt.decode(id_token, KeySet.import_key_set(keys),
                               algorithms=list(_ALGORITHMS))
        except (JoseError, ValueError) as exc:
            raise SsoRefused("The id token's signature does not verify.",
                             code="sso_token_invalid") from exc
    registry = jwt.JWTClaimsRegistry(
        now=_now, leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": meta["issuer"]},
        aud={"essential": True, "value": settings.oidc_client_id},
        exp={"essential": True}, sub={"essential": True},
        nonce={"essential": True, "value": nonce})
    claims = dict(token.claims)
    try:
        registry.validate(claims)
    except ExpiredTokenError as exc:
        raise SsoRefused("The id token has expired.", code="sso_token_expired") from exc
    except ClaimError as exc:
        code = {"iss": "sso_issuer_wrong", "nonce": "sso_nonce_wrong"}.get(
            exc.claim, "sso_token_invalid")
        raise SsoRefused(f"The id token's {exc.claim} is not right.", code=code) from exc
    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) > 1 and claims.get(
            "azp") != settings.oidc_client_id:
        raise SsoRefused("The id token was made for another client.", code="sso_token_invalid")
    return claims


def _claims(settings: Settings, pending: Mapping[str, str] | None, params: Mapping[str, str],
            redirect_uri: str) -> dict[str, Any]:
    if params.get("error"):
        raise SsoRefused(f"The provider refused: {params.get('error')[:80]}.", code="sso_denied")
    state = params.get("state", "")
    if not pending or not state or not secrets.compare_digest(state.encode(),
                                                              pending["s"].encode()):
        raise SsoRefused("This sign-in was not started in this browser, or took too long.",
                         code="sso_state_wrong")
    if not params.get("code"):
        raise SsoRefused("The provider sent no code.", code="sso_refused")
    meta, _keys = provider_metadata(settings)
    try:
        with _client(settings, redirect_uri) as client:
            token = client.fetch_token(meta["token_endpoint"], grant_type="authorization_code",
                                       code=params["code"][:2000],
                                       code_verifier=pending["c"])
            if not isinstance(token.get("id_token"), str):
                raise SsoRefused("The provider sent no id token.", code="sso_token_invalid")
            claims = _verified_claims(settings, token["id_token"], pending["n"])
            wanted = (settings.oidc_email_claim, settings.oidc_institution_claim)
            if any(name not in claims for name in wanted) and meta.get("userinfo_endpoint"):
                info = client.get(meta["userinfo_endpoint"]).json()
                if isinstance(info, dict) and info.get("sub") == claims["sub"]:
                    claims = {**info, **claims}
    except OAuthError as exc:
        raise SsoRefused(f"The provider refused the code: {exc.error}.",
                         code="sso_token_refused") from exc
    except (httpx.HTTPError, ValueError) as exc:
        raise SsoProviderDown("The sign-in provider did not answer.") from exc
    return claims


def _institution_of(session: Session, settings: Settings, claims: Mapping[str, Any],
                    email: str):
    """The institution claim decides; lacking it, the e-mail address's domain does."""
    value = claims.get(settings.oidc_institution_claim)
    values = value if isinstance(value, list) else [value] if value else []
    values = [v for v in values if isinstance(v, str)] or [email.rsplit("@", 1)[1]]
    for candidate in values:
        institution = sign_in_policy.institution_for_domain(session=session, domain=candidate)
        if institution is not None:
            return institution, candidate
    return None, values[0]


def finish(*, session: Session, settings: Settings, pending: Mapping[str, str] | None,
           params: Mapping[str, str], redirect_uri: str) -> Account:
    """Use case: the provider sent the browser back; the signed-in account (matched or made),
    with one audit event; commits. Every refusal stores nothing."""
    claims = _claims(settings, pending, params, redirect_uri)  # no transaction while we wait
    session.connection(execution_options={"sqlite_immediate": True})  # a write from the start
    email = claims.get(settings.oidc_email_claim)
    if not isinstance(email, str) or "@" not in email or len(email) > 254:
        raise SsoRefused("The provider sent no e-mail address.", code="sso_no_email")
    if claims.get("email_verified") is False:
        raise SsoRefused("The provider has not verified this e-mail address.",
                         code="sso_email_unverified")
    email = accounts.normalise_email(email)
    account = accounts.find_account(session=session, email=email)
    if account is not None:
        if account.revoked_at is not None:
            raise SsoNotAllowed("This account is blocked.", code="sso_account_revoked")
        audit.record(session=session, actor=account, action="sso_sign_in",
                     institution=account_links.audit_institution(session, account),
                     detail=settings.oidc_issuer[:200])
        session.commit()
        return account
    institution, domain = _institution_of(session, settings, claims, email)
    if institution is None:
        raise SsoNotAllowed(f"No institution uses Kennisster with {domain}.",
                            code="sso_unknown_domain", domain=domain[:80])
    policy = sign_in_policy.policy_of(session=session, institution=institution)
    name = claims.get("name") if isinstance(claims.get("name"), str) else ""
    account = accounts.create_account(session=session, email=email, password=None,
                                      role=policy.sso_role, name=name[:200],
                                      institutions=[institution])
    account.password_hash = accounts.SSO_ONLY  # active, not waiting for an invitation
    session.add(account)
    audit.record(session=session, actor=account, action="sso_account_created",
                 institution=institution, detail=f"{email} ({policy.sso_role}, {domain})")
    session.commit()
    return account
