"""Why a single sign-on failed. Each refusal has its own code, status and a sentence that tells
the person (or the admin) what to do; `templates/sso/error.html` shows them."""

from __future__ import annotations

from alignment.errors import DomainError


class SsoError(DomainError):
    status, code = 400, "sso_failed"
    message = "Single sign-on did not complete."
    title = "Single sign-on did not complete"
    # A failure the workspace's admins should see on the settings page (provider-side ones).
    is_provider_fault = False


class StateMismatch(SsoError):
    status, code = 400, "sso_state_mismatch"
    title = "This sign-in link is not the one we started"
    message = (
        "The answer from your identity provider does not match a sign-in started in this "
        "browser (it may have been used already, or opened in another browser). Start again."
    )


class AttemptExpired(SsoError):
    status, code = 400, "sso_expired"
    title = "This sign-in took too long"
    message = "A sign-in must be completed within {minutes} minutes. Start again."


class NoConnection(SsoError):
    status, code = 404, "sso_not_configured"
    title = "No single sign-on here"
    message = "{what} does not use single sign-on. Log in with your e-mail and password."


class AmbiguousDomain(SsoError):
    status, code = 409, "sso_ambiguous_domain"
    title = "Several workspaces use this domain"
    message = "More than one workspace signs in {domain} addresses; enter your workspace's name."


class ProviderRefused(SsoError):
    status, code = 403, "sso_provider_refused"
    title = "Your identity provider did not sign you in"
    message = "It answered “{error}”{description}. Ask your IT team if this persists."


class ProviderUnreachable(SsoError):
    status, code = 502, "sso_provider_unreachable"
    title = "Your identity provider cannot be reached"
    message = "Its {what} did not answer ({reason}). Try again in a few minutes."
    is_provider_fault = True


class ProviderMisconfigured(SsoError):
    status, code = 502, "sso_provider_misconfigured"
    title = "Single sign-on is not set up correctly"
    message = "The identity provider's answer was not usable. A workspace admin can check it."
    is_provider_fault = True


class TokenRefused(SsoError):
    status, code = 502, "sso_token_refused"
    title = "Your identity provider refused the sign-in"
    message = (
        "Its token endpoint answered “{error}” {description}. The sign-in may have been used "
        "already; start again. If it persists, an admin should check the client secret."
    )
    is_provider_fault = True


class IdTokenInvalid(SsoError):
    status, code = 502, "sso_id_token_invalid"
    title = "The identity provider's answer could not be trusted"
    message = "Its ID token was refused: {reason}. Nobody was signed in."
    is_provider_fault = True


class IssuerNotAllowed(SsoError):
    status, code = 422, "sso_issuer_not_allowed"
    title = "This issuer cannot be used"


class EmailMissing(SsoError):
    status, code = 403, "sso_email_missing"
    title = "Your identity provider did not share a verified e-mail address"
    message = (
        "Alignment needs your e-mail address (scope “email”), and the provider says it is not "
        "verified or did not send it."
    )


class DomainNotAllowed(SsoError):
    status, code = 403, "sso_domain_not_allowed"
    title = "This e-mail domain may not sign in here"
    message = (
        "{email} is not in a domain that {workspace} accepts for single sign-on. Sign in with "
        "your work account, or ask a workspace admin to add the domain."
    )


class NotAMember(SsoError):
    status, code = 403, "sso_not_a_member"
    title = "You are not a member of this workspace yet"
    message = (
        "{workspace} does not add people automatically. Ask a workspace admin to invite {email}."
    )


class AccountNeedsLink(SsoError):
    status, code = 409, "sso_account_needs_link"
    title = "Log in with your password once to link single sign-on"
    message = (
        "{email} already has an account that belongs to other workspaces too. Log in with your "
        "password first, then choose “Sign in with SSO” again to link the two."
    )


class AccountDisabled(SsoError):
    status, code = 403, "sso_account_disabled"
    title = "This account is disabled"
    message = "The account {email} is disabled. Ask a workspace admin."


class AssertionInvalid(SsoError):
    status, code = 403, "sso_saml_response_invalid"
    title = "The identity provider's answer could not be trusted"
    message = "Its SAML response was refused: {reason}. Nobody was signed in."
    is_provider_fault = True


class UnsolicitedResponse(SsoError):
    status, code = 400, "sso_saml_unsolicited"
    title = "Start single sign-on from Alignment"
    message = (
        "Your identity provider sent a sign-in that Alignment did not ask for (IdP-initiated), "
        "which is refused. Use “Sign in with SSO” on Alignment's log-in page instead."
    )


class RequestAlreadyUsed(SsoError):
    status, code = 400, "sso_saml_replayed"
    title = "This sign-in was already used"
    message = (
        "The identity provider's answer to this sign-in arrived before (a replay, or the page "
        "was sent twice). Nobody was signed in; start again."
    )


class MetadataInvalid(SsoError):
    status, code = 422, "sso_saml_metadata_invalid"
    title = "The identity provider's metadata cannot be used"
    is_provider_fault = True


class SamlUnavailable(SsoError):
    status, code = 503, "sso_saml_unavailable"
    title = "SAML is not available on this server"
    message = (
        "The server lacks the xmlsec1 program that verifies SAML signatures. An administrator "
        "installs it (Debian: apt install xmlsec1)."
    )
