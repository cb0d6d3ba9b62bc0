package api

import (
	"encoding/base64"
	"errors"
	"mime"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"switchboard/internal/httpserver"
	"switchboard/internal/switchboard"
)

// OAuth2 client credentials (RFC 6749 §4.4): the door an OAuth2 library
// already knows to the same client token POST /auth/login gives.

// OAuthTokenPath and OAuthMetadataPath are the token endpoint and the
// authorization server metadata (RFC 8414).
const (
	OAuthTokenPath    = "/oauth/token"
	OAuthMetadataPath = "/.well-known/oauth-authorization-server"
)

// basicRealm is sent in WWW-Authenticate with every invalid_client.
const basicRealm = `Basic realm="switchboard"`

// The error codes of RFC 6749 §5.2; temporarily_unavailable (borrowed from
// §4.1.2.1) answers a throttled or busy sign-in, whose status (429 or 503)
// and Retry-After say which.
const (
	oauthInvalidRequest    = "invalid_request"
	oauthInvalidClient     = "invalid_client"
	oauthUnsupportedGrant  = "unsupported_grant_type"
	oauthInvalidScope      = "invalid_scope"
	oauthUnavailable       = "temporarily_unavailable"
	oauthServerError       = "server_error"
	grantClientCredentials = "client_credentials"
	formContentType        = "application/x-www-form-urlencoded"
	authMethodSecretBasic  = "client_secret_basic"
	authMethodSecretPost   = "client_secret_post"
	oauthTokenTypeBearer   = "Bearer"
)

type oauthErrorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

type oauthTokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	// ExpiresIn is TOKEN_TTL in seconds; absent when client tokens do not
	// expire (the default), which RFC 6749 §5.1 allows when documented.
	ExpiresIn int64 `json:"expires_in,omitzero"`
}

type oauthMetadataResponse struct {
	Issuer                            string   `json:"issuer"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
}

// oauthError is an error answered in RFC 6749 §5.2's shape.
type oauthError struct {
	status      int
	code        string
	description string
}

func (e *oauthError) Error() string { return e.code + ": " + e.description }

func invalidRequest(description string) *oauthError {
	return &oauthError{fiber.StatusBadRequest, oauthInvalidRequest, description}
}

// oauthHeaders keeps the token response out of every cache (RFC 6749 §5.1),
// errors included.
func oauthHeaders(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderPragma, "no-cache")
	return c.Next()
}

// handleOAuthToken handles POST /oauth/token: grant_type=client_credentials,
// the client authenticated by HTTP Basic or by client_id and client_secret
// in the form, for a client token.
func (s *Server) handleOAuthToken(c *fiber.Ctx) error {
	id, secret, err := oauthTokenRequest(c)
	if err != nil {
		return s.writeOAuthError(c, err)
	}
	ctx := c.UserContext()
	// The same door as POST /auth/login: one throttle, one hash bound.
	client, err := s.Auth.AuthenticateClient(ctx, id, secret, httpserver.ClientIP(c))
	httpserver.Audit(s.Log, c, httpserver.EventSignIn, err, "client_id", loggableID(id))
	if err != nil {
		return s.writeOAuthError(c, err)
	}
	token, err := s.Auth.IssueClientToken(client)
	if err != nil {
		return s.writeOAuthError(c, err)
	}
	out := oauthTokenResponse{AccessToken: token, TokenType: oauthTokenTypeBearer}
	if ttl := s.Auth.TokenTTL; ttl > 0 {
		out.ExpiresIn = int64(ttl.Seconds())
	}
	return c.JSON(out)
}

// oauthTokenRequest reads the token request: its form (RFC 6749 §4.4.2) and
// the client's credentials, from exactly one of the Authorization header
// (§2.3.1: each part form-urlencoded, then base64) and the form.
func oauthTokenRequest(c *fiber.Ctx) (id, secret string, err error) {
	if mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); err != nil || mt != formContentType {
		return "", "", invalidRequest("the body must be " + formContentType)
	}
	form, perr := url.ParseQuery(string(c.Body()))
	if perr != nil {
		return "", "", invalidRequest("the body is not a valid form")
	}
	// §3.2: no parameter may be sent twice.
	for k, v := range form {
		if len(v) > 1 {
			return "", "", invalidRequest("parameter sent more than once: " + k)
		}
	}
	switch grant := form.Get("grant_type"); grant {
	case grantClientCredentials:
	case "":
		return "", "", invalidRequest("grant_type is required")
	default:
		return "", "", &oauthError{fiber.StatusBadRequest, oauthUnsupportedGrant, "only client_credentials is supported"}
	}
	// No scopes exist here, so none can be granted (§3.3).
	if form.Get("scope") != "" {
		return "", "", &oauthError{fiber.StatusBadRequest, oauthInvalidScope, "this server defines no scopes"}
	}
	_, inForm := form["client_id"]
	_, secretInForm := form["client_secret"]
	header := c.Get(fiber.HeaderAuthorization)
	if header != "" {
		if inForm || secretInForm {
			return "", "", invalidRequest("client credentials in both the Authorization header and the body")
		}
		id, secret, ok := basicCredentials(header)
		if !ok {
			return "", "", errBadClient
		}
		return id, secret, nil
	}
	id, secret = form.Get("client_id"), form.Get("client_secret")
	switch {
	case !inForm && !secretInForm:
		return "", "", errBadClient // no client authentication at all
	case id == "" || secret == "":
		return "", "", invalidRequest("client_id and client_secret are both required")
	}
	return id, secret, nil
}

// errBadClient: no credentials, or an Authorization header that is not
// Basic credentials.
var errBadClient = &oauthError{fiber.StatusUnauthorized, oauthInvalidClient, "client authentication failed"}

// basicCredentials decodes "Basic base64(urlencode(id):urlencode(secret))".
func basicCredentials(header string) (id, secret string, ok bool) {
	scheme, encoded, found := strings.Cut(header, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil {
		return "", "", false
	}
	rawID, rawSecret, found := strings.Cut(string(raw), ":")
	if !found {
		return "", "", false
	}
	id, err1 := url.QueryUnescape(rawID)
	secret, err2 := url.QueryUnescape(rawSecret)
	if err1 != nil || err2 != nil || id == "" || secret == "" {
		return "", "", false
	}
	return id, secret, true
}

// writeOAuthError answers err in §5.2's shape. A refused sign-in is
// invalid_client; throttled (429) and busy (503) keep /auth/login's status
// and Retry-After; anything else is a 500 that the app's error handler
// logs.
func (s *Server) writeOAuthError(c *fiber.Ctx, err error) error {
	var oe *oauthError
	if !errors.As(err, &oe) {
		var de *switchboard.Error
		if !errors.As(err, &de) {
			return &httpserver.JSONError{Status: fiber.StatusInternalServerError,
				Body: httpserver.ErrorBody{Error: oauthServerError}, Err: err}
		}
		switch de.Code {
		case switchboard.EUNAUTHORIZED, switchboard.EFORBIDDEN:
			oe = &oauthError{fiber.StatusUnauthorized, oauthInvalidClient, de.Message}
		case switchboard.ETHROTTLED, switchboard.EUNAVAILABLE:
			oe = &oauthError{httpserver.StatusOf(de.Code), oauthUnavailable, de.Message}
			httpserver.SetRetryAfter(c, de.RetryAfter)
		default:
			return &httpserver.JSONError{Status: fiber.StatusInternalServerError,
				Body: httpserver.ErrorBody{Error: oauthServerError}, Err: err}
		}
	}
	// RFC 9110 §15.5.2: every 401 names the scheme to authenticate with.
	if oe.status == fiber.StatusUnauthorized {
		c.Set(fiber.HeaderWWWAuthenticate, basicRealm)
	}
	return c.Status(oe.status).JSON(oauthErrorBody{Error: oe.code, ErrorDescription: oe.description})
}

// handleOAuthMetadata handles GET /.well-known/oauth-authorization-server
// (RFC 8414). The issuer and the token endpoint must be absolute URLs, and
// the issuer the one the metadata was fetched under: without
// PUBLIC_BASE_URL the server does not know it (the Host header is the
// caller's to choose), so it publishes no metadata and answers 404.
func (s *Server) handleOAuthMetadata(c *fiber.Ctx) error {
	if s.PublicBaseURL == "" {
		return fiber.ErrNotFound
	}
	return c.JSON(oauthMetadataResponse{
		Issuer:                            s.PublicBaseURL,
		TokenEndpoint:                     s.PublicBaseURL + OAuthTokenPath,
		GrantTypesSupported:               []string{grantClientCredentials},
		TokenEndpointAuthMethodsSupported: []string{authMethodSecretBasic, authMethodSecretPost},
	})
}
