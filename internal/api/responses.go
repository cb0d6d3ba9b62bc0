package api

// The answers that carry no client record, as structs so that their members
// come out in the order the API reference shows (a map's would be sorted),
// encoded like requests are decoded, with JSON v2 (see httpserver).

// successResponse is {"success":true,"message":…}.
type successResponse struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
}

// messageResponse is {"message":…}.
type messageResponse struct {
	Message string `json:"message"`
}

// validResponse answers GET /auth/validate.
type validResponse struct {
	Valid    bool   `json:"valid"`
	ClientID string `json:"clientId"`
}

// verifyResponse answers POST /auth/verify for a live token. ExpiresAt is
// null unless TOKEN_TTL gives tokens an expiry.
type verifyResponse struct {
	Valid     bool    `json:"valid"`
	ClientID  string  `json:"clientId"`
	ExpiresAt *string `json:"expiresAt"`
}

// verifyRefusedResponse answers POST /auth/verify for any other token.
type verifyRefusedResponse struct {
	Valid bool   `json:"valid"`
	Error string `json:"error"`
}

// refreshResponse answers POST /auth/refresh.
type refreshResponse struct {
	Success  bool   `json:"success"`
	Token    string `json:"token"`
	ClientID string `json:"clientId"`
}

// changeSecretResponse answers POST /auth/change-secret.
type changeSecretResponse struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
	Token   string `json:"token"`
}

// adminChangePasswordResponse answers POST /auth/admin/change-password:
// the admin's new token, as admin login gives it.
type adminChangePasswordResponse struct {
	Success   bool   `json:"success"`
	Message   string `json:"message"`
	Token     string `json:"token"`
	ExpiresAt string `json:"expiresAt"`
}

// adminLoginResponse answers POST /auth/admin/login.
type adminLoginResponse struct {
	Success bool   `json:"success"`
	Token   string `json:"token"`
	Admin   struct {
		Username string `json:"username"`
	} `json:"admin"`
	ExpiresAt string `json:"expiresAt"`
}

// probeResponse answers /healthz and /readyz.
type probeResponse struct {
	Status string `json:"status"`
}
