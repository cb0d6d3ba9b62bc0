package auth

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"switchboard/internal/switchboard"
)

// Messages of two-factor sign-in.
const (
	MsgMFARequired = "Two-factor code required"
	MsgMFAInvalid  = "Invalid two-factor code"
)

const (
	// MFAIssuer names the service in authenticator apps.
	MFAIssuer = "Switchboard"
	// RecoveryCodeCount is how many recovery codes an admin is given.
	RecoveryCodeCount = 10

	// The TOTP parameters every authenticator app assumes (RFC 6238's
	// defaults): 6 digits of HMAC-SHA1 per 30 s step, and codes of the
	// step before and after accepted too, for a phone's clock that is off.
	mfaPeriod = 30
	mfaSkew   = 1
	mfaDigits = otp.DigitsSix
	mfaAlg    = otp.AlgorithmSHA1

	// Second factors are throttled as an account of their own: a right
	// password must not make the address "remembered" (see ThrottlePolicy)
	// before the code is right too.
	adminMFAThrottlePrefix = "admin mfa "
	sealedPrefix           = "v1."
)

// errMFANotPending: a confirmation without a set-up waiting for it.
var errMFANotPending = &switchboard.Error{Code: switchboard.ECONFLICT, Message: "Two-factor sign-in is not being set up"}

// MFASetup is what an admin needs to add the service to an authenticator
// app: the secret in base32 text, and the otpauth:// URL a QR code carries.
type MFASetup struct {
	Secret string
	URL    string
}

// SetupMFA gives the admin a new TOTP secret, stored sealed and not yet
// enabled: ConfirmMFA enables it. ECONFLICT when two-factor is enabled
// already.
func (s *Service) SetupMFA(ctx context.Context, a *switchboard.Admin) (*MFASetup, error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: MFAIssuer, AccountName: a.Username, Period: mfaPeriod, SecretSize: 20, Digits: mfaDigits, Algorithm: mfaAlg,
	})
	if err != nil {
		return nil, err
	}
	sealed, err := s.sealMFASecret(a.Username, key.Secret())
	if err != nil {
		return nil, err
	}
	if err := s.MFA.SetMFASecret(ctx, a.Username, sealed); err != nil {
		return nil, err
	}
	return &MFASetup{Secret: key.Secret(), URL: key.URL()}, nil
}

// ConfirmMFA enables the admin's pending secret once code is a right TOTP
// code for it, and returns RecoveryCodeCount recovery codes: the only time
// they are seen in clear, since only their hashes are stored. A wrong code
// is EINVALID and counts as a failed sign-in; ECONFLICT when no set-up is
// waiting.
func (s *Service) ConfirmMFA(ctx context.Context, a *switchboard.Admin, code, ip string) ([]string, error) {
	st, err := s.MFA.MFAState(ctx, a.Username)
	if err != nil {
		return nil, err
	} else if st.Enabled || st.Secret == "" {
		return nil, errMFANotPending
	}
	code = typedCode(code)
	if code == "" {
		return nil, switchboard.InvalidField("code", "is required")
	}
	var step int64
	err = s.throttledSecondFactor(ctx, a.Username, ip, func() (bool, error) {
		secret, err := s.openMFASecret(a.Username, st.Secret)
		if err != nil {
			return false, err
		}
		var ok bool
		step, ok = matchTOTP(secret, code, s.now())
		return ok, nil
	}, &switchboard.Error{Code: switchboard.EINVALID, Message: MsgMFAInvalid})
	if err != nil {
		return nil, err
	}
	codes := make([]string, RecoveryCodeCount)
	hashes := make([]string, RecoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		hashes[i] = recoveryCodeHash(codes[i])
	}
	if err := s.MFA.EnableMFA(ctx, a.Username, step, hashes); err != nil {
		return nil, err
	}
	return codes, nil
}

// CheckSecondFactor is the second step of an admin's sign-in, after the
// password: nil when the admin has no two-factor sign-in enabled, or code
// is a TOTP code of the admin's secret for the current step (or the one
// before or after) later than the last one accepted, or one of the admin's
// unused recovery codes, which it uses up. Otherwise EUNAUTHORIZED:
// MsgMFARequired with ReasonMFARequired for an empty code (which costs no
// allowance), MsgMFAInvalid for a wrong or replayed one, counted against
// the throttle like a wrong password; ETHROTTLED once too many failed.
func (s *Service) CheckSecondFactor(ctx context.Context, a *switchboard.Admin, code, ip string) error {
	if s.MFA == nil {
		return nil // no two-factor store wired (tests of other things)
	}
	st, err := s.MFA.MFAState(ctx, a.Username)
	if err != nil || !st.Enabled {
		return err
	}
	code = typedCode(code)
	if code == "" {
		return &switchboard.Error{Code: switchboard.EUNAUTHORIZED, Message: MsgMFARequired, Reason: switchboard.ReasonMFARequired}
	}
	return s.throttledSecondFactor(ctx, a.Username, ip, func() (bool, error) {
		if !isTOTPCode(code) {
			return s.MFA.UseRecoveryCode(ctx, a.Username, recoveryCodeHash(code))
		}
		secret, err := s.openMFASecret(a.Username, st.Secret)
		if err != nil {
			// The server secret changed since set-up: the code cannot be
			// checked, but a recovery code still can.
			s.log().Warn("an admin's two-factor secret cannot be opened", "admin", a.Username, "err", err)
			return false, nil
		}
		step, ok := matchTOTP(secret, code, s.now())
		if !ok || step <= st.LastStep {
			return false, nil
		}
		return s.MFA.AcceptTOTPStep(ctx, a.Username, step)
	}, &switchboard.Error{Code: switchboard.EUNAUTHORIZED, Message: MsgMFAInvalid, Reason: switchboard.ReasonMFAInvalid})
}

// throttledSecondFactor runs check as one attempt of the admin's second
// factor from ip, through the sign-in throttle: the allowance is taken
// before check runs (so a burst gets no further than the allowance), kept
// when check says no (refused is returned), and given back when check
// could not run or said yes.
func (s *Service) throttledSecondFactor(ctx context.Context, username, ip string, check func() (bool, error), refused error) error {
	at, err := s.Throttle.begin(ctx, adminMFAThrottlePrefix+username, ip)
	if err != nil {
		return err
	}
	if err := at.take(ctx); err != nil {
		return err
	}
	ok, err := check()
	if err != nil {
		return errors.Join(err, at.giveBack(ctx))
	} else if !ok {
		return at.refuse(ctx, refused)
	}
	return at.succeeded(ctx)
}

// typedCode is code without the spaces a person may type, as authenticator
// apps show codes in two groups ("123 456").
func typedCode(code string) string {
	return strings.ReplaceAll(strings.TrimSpace(code), " ", "")
}

// isTOTPCode reports whether code has the form of a TOTP code; anything
// else is taken for a recovery code.
func isTOTPCode(code string) bool {
	if len(code) != mfaDigits.Length() {
		return false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// matchTOTP returns the time step at now, or the one before or after, whose
// TOTP code of secret is code.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	current := now.Unix() / mfaPeriod
	for step := current - mfaSkew; step <= current+mfaSkew; step++ {
		want, err := hotp.GenerateCodeCustom(secret, uint64(step), hotp.ValidateOpts{Digits: mfaDigits, Algorithm: mfaAlg})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// newRecoveryCode returns 128 random bits in hex, in four groups for
// reading: too many to guess, so a fast hash keeps them safe at rest.
func newRecoveryCode() string {
	b := make([]byte, 16)
	rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:16] + "-" + h[16:24] + "-" + h[24:]
}

// recoveryCodeHash is what is stored of a recovery code: the SHA-256 of the
// code without its dashes, spaces or capitals, which a person may type
// differently. A fast hash is enough for 128 random bits (unlike for
// passwords), and being unsalted it lets the store find and delete the code
// in one statement, so each code works once.
func recoveryCodeHash(code string) string {
	code = strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(code))
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// mfaAEAD seals TOTP secrets at rest. Its key is derived from the admin
// token key (itself derived from the server secret), so a copy of the
// database without SERVER_SECRET does not give the secrets away. The
// server must read the secret itself to check codes, so it cannot be
// hashed. Changing the server secret makes sealed secrets unreadable:
// admins then sign in with a recovery code and set two-factor up again.
func (s *Service) mfaAEAD() (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, s.Signer.adminKey, nil, "switchboard admin mfa secrets v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealMFASecret encrypts secret bound to username: a sealed secret copied
// to another admin's row does not open.
func (s *Service) sealMFASecret(username, secret string) (string, error) {
	aead, err := s.mfaAEAD()
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	return sealedPrefix + base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(secret), []byte(username))), nil
}

func (s *Service) openMFASecret(username, sealed string) (string, error) {
	aead, err := s.mfaAEAD()
	if err != nil {
		return "", err
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(sealed, sealedPrefix))
	if err != nil || !strings.HasPrefix(sealed, sealedPrefix) || len(raw) < aead.NonceSize() {
		return "", errors.New("sealed two-factor secret is malformed")
	}
	secret, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(username))
	if err != nil {
		return "", errors.New("sealed two-factor secret does not open with this server secret")
	}
	return string(secret), nil
}
