// Package auth holds the credential rules of the service: secrets are
// generated and hashed here, tokens issued and checked here, failed logins
// throttled here. Transports call Service; storage is reached through the
// domain interfaces.
package auth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"

	"switchboard/internal/switchboard"
)

// GenerateSecret returns 32 bytes from crypto/rand, URL-safe base64 encoded
// (43 characters): easy to paste into a shell or a config file.
func GenerateSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never returns an error; it crashes the program instead.
	return base64.RawURLEncoding.EncodeToString(b)
}

// Hasher hashes secrets and passwords with bcrypt at a fixed cost. bcrypt is
// slow on purpose, is in golang.org/x/crypto, and encodes its cost and salt in
// the hash, so raising the cost later leaves old hashes valid.
type Hasher struct {
	cost int
	// dummy is compared against when an account does not exist, so an unknown
	// id costs the same time as a wrong secret.
	dummy []byte
}

// NewHasher returns a Hasher at cost (bcrypt.DefaultCost when 0).
func NewHasher(cost int) (*Hasher, error) {
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("hash cost must be between %d and %d", bcrypt.MinCost, bcrypt.MaxCost)
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte(GenerateSecret()), cost)
	if err != nil {
		return nil, err
	}
	return &Hasher{cost: cost, dummy: dummy}, nil
}

// Hash returns the bcrypt hash of secret.
func (h *Hasher) Hash(secret string) (string, error) {
	b, err := bcrypt.GenerateFromPassword([]byte(secret), h.cost)
	if err != nil {
		return "", fmt.Errorf("hash secret: %w", err)
	}
	return string(b), nil
}

// Matches reports whether secret matches hash. An empty hash stands for an
// unknown account: it is compared against a dummy hash so the caller takes as
// long as with a real one, and never matches. So does a secret too long to be
// anyone's.
func (h *Hasher) Matches(hash, secret string) (bool, error) {
	// bcrypt reads only 72 bytes, and no secret is stored longer (see
	// switchboard.MaxSecretLength): a longer one must not match by its prefix.
	if hash == "" || len(secret) > switchboard.MaxSecretLength {
		bcrypt.CompareHashAndPassword(h.dummy, []byte(secret))
		return false, nil
	}
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(secret))
	if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
		return false, nil
	}
	return err == nil, err
}
