// Package authtest helps tests watch the sign-in service hash. It imports
// nothing of this module, so auth's own tests can use it too.
package authtest

import (
	"sync/atomic"
	"time"
)

// secretHasher is auth.SecretHasher, restated so as not to import auth.
type secretHasher interface {
	Hash(secret string) (string, error)
	Matches(hash, secret string) (bool, error)
}

// Hasher wraps a service's hasher and counts the comparisons it makes. Each
// comparison takes Delay more, so that the attempts of a burst overlap as
// they do at a real bcrypt cost. When Hold is set, each comparison first
// sends on Started, then waits until Hold is closed.
type Hasher struct {
	secretHasher
	Delay   time.Duration
	Hold    chan struct{}
	Started chan struct{}

	compares atomic.Int64
}

// Wrap returns a Hasher around h with no delay and no hold.
func Wrap(h secretHasher) *Hasher { return &Hasher{secretHasher: h} }

// Matches counts the comparison, then makes it.
func (h *Hasher) Matches(hash, secret string) (bool, error) {
	h.compares.Add(1)
	if h.Hold != nil {
		h.Started <- struct{}{}
		<-h.Hold
	}
	time.Sleep(h.Delay)
	return h.secretHasher.Matches(hash, secret)
}

// Compares is how many comparisons were made.
func (h *Hasher) Compares() int { return int(h.compares.Load()) }
