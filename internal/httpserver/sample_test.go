package httpserver

import (
	"testing"
	"time"
)

// TestSampler: one line per key per window; the next line after the window
// counts the ones left out; keys do not share windows.
func TestSampler(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newSampler()
	s.now = func() time.Time { return now }
	want := func(key string, wantOK bool, wantSkipped int) {
		t.Helper()
		if ok, skipped := s.allow(key); ok != wantOK || skipped != wantSkipped {
			t.Errorf("allow(%q) at %v = %v, %d; want %v, %d", key, now.Format("15:04:05"), ok, skipped, wantOK, wantSkipped)
		}
	}
	want("a", true, 0)
	for range 5 {
		want("a", false, 0)
	}
	want("b", true, 0)
	now = now.Add(sampleWindow - time.Second)
	want("a", false, 0)
	now = now.Add(time.Second)
	want("a", true, 6)
	want("a", false, 0)
	now = now.Add(sampleWindow)
	want("a", true, 1)
	want("b", true, 0)
}

// TestSamplerBounded: past maxSampleKeys, keys whose window has passed are
// forgotten, and if none has, all are: memory stays bounded.
func TestSamplerBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newSampler()
	s.now = func() time.Time { return now }
	for i := range maxSampleKeys + 10 {
		s.allow(string(rune(i)) + "key")
	}
	if n := len(s.keys); n > maxSampleKeys {
		t.Errorf("%d keys remembered, want at most %d", n, maxSampleKeys)
	}
}
