package httpserver

import (
	"sync"
	"time"
)

// sampleWindow is how often a repeated refusal is logged at most, per key.
const sampleWindow = time.Minute

// maxSampleKeys bounds the keys a sampler remembers; an attacker rotating
// addresses makes one key each.
const maxSampleKeys = 100_000

// sampler thins repeated log lines: the first line of a key in each window
// is logged, the others are only counted, and the next line logged for the
// key says how many were left out. A storm of refused sign-ins from one
// address then writes one line a minute instead of one per request.
type sampler struct {
	now func() time.Time

	mu   sync.Mutex
	keys map[string]*sampled
}

type sampled struct {
	logged  time.Time // when the key's last line was logged
	skipped int       // lines left out since then
}

func newSampler() *sampler {
	return &sampler{now: time.Now, keys: map[string]*sampled{}}
}

// allow reports whether a line of key is to be logged now and, if so, how
// many lines of key were left out before it.
func (s *sampler) allow(key string) (ok bool, skipped int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	k, seen := s.keys[key]
	if !seen {
		if len(s.keys) >= maxSampleKeys {
			s.sweep(now)
		}
		s.keys[key] = &sampled{logged: now}
		return true, 0
	}
	if now.Sub(k.logged) < sampleWindow {
		k.skipped++
		return false, 0
	}
	skipped, k.logged, k.skipped = k.skipped, now, 0
	return true, skipped
}

// sweep forgets the keys whose window has passed. Their left-out counts,
// if any, are lost; past maxSampleKeys that is the price of bounded memory.
func (s *sampler) sweep(now time.Time) {
	for key, k := range s.keys {
		if now.Sub(k.logged) >= sampleWindow {
			delete(s.keys, key)
		}
	}
	if len(s.keys) >= maxSampleKeys {
		clear(s.keys)
	}
}
