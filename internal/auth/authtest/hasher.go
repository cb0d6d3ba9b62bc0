// Package authtest helps tests watch the sign-in service hash and send it
// bursts. It imports nothing of this module, so auth's own tests can use it
// too.
package authtest

import (
	"sync"
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

// Holding returns a Hasher around h whose comparisons wait until Hold is
// closed, each first sending on Started (which has room for one).
func Holding(h secretHasher) *Hasher {
	return &Hasher{secretHasher: h, Hold: make(chan struct{}), Started: make(chan struct{}, 1)}
}

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

// Burst makes n attempts at once and counts their outcomes: a burst of
// sign-ins, say, by status.
func Burst[K comparable](n int, attempt func(i int) K) map[K]int {
	var mu sync.Mutex
	counts := map[K]int{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			k := attempt(i)
			mu.Lock()
			defer mu.Unlock()
			counts[k]++
		})
	}
	wg.Wait()
	return counts
}
