package auth_test

import (
	"strconv"
	"testing"

	"switchboard/internal/auth"
)

// BenchmarkHasherMatches is the bcrypt comparison alone, the floor of a
// login's cost (see BenchmarkLogin in internal/api).
func BenchmarkHasherMatches(b *testing.B) {
	for _, cost := range []int{4, 10} {
		b.Run("cost"+strconv.Itoa(cost), func(b *testing.B) {
			h, err := auth.NewHasher(cost)
			if err != nil {
				b.Fatal(err)
			}
			secret := auth.GenerateSecret()
			hash, err := h.Hash(secret)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if ok, err := h.Matches(hash, secret); !ok || err != nil {
					b.Fatal("no match")
				}
			}
		})
	}
}
