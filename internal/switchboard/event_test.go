package switchboard_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"switchboard/internal/switchboard"
)

func TestActorFromContext(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		ctx  context.Context
		want string
	}{
		{ctx, "system"},
		{switchboard.NewContextWithActor(ctx, ""), "system"},
		{switchboard.NewContextWithActor(ctx, switchboard.AdminActor("alice")), "admin:alice"},
		{switchboard.NewContextWithActor(ctx, switchboard.ClientActor("acme_1")), "client:acme_1"},
		{switchboard.NewContextWithActor(switchboard.NewContextWithActor(ctx, "admin:bob"), "client:x_1"), "client:x_1"},
	} {
		if got := switchboard.ActorFromContext(tt.ctx); got != tt.want {
			t.Errorf("ActorFromContext = %q, want %q", got, tt.want)
		}
	}
}

func TestEventCursor(t *testing.T) {
	at := time.Date(2026, 3, 20, 12, 0, 0, 123456789, time.UTC)
	c := switchboard.EventCursor{CreatedAt: at, ID: 42}
	got, err := switchboard.ParseEventCursor(c.String())
	if err != nil || *got != c {
		t.Fatalf("ParseEventCursor(%q) = %+v, %v; want %+v", c.String(), got, err, c)
	}
	enc := func(raw string) string { return base64.RawURLEncoding.EncodeToString([]byte(raw)) }
	for _, s := range []string{
		"", "x", c.String() + "=", enc("123.0"), enc("123.-4"), enc("123.042"), enc("0123.42"), enc("123.abc"),
		enc("123.99999999999999999999"), enc("123"), strings.Repeat("A", 100),
	} {
		if _, err := switchboard.ParseEventCursor(s); switchboard.ErrorCode(err) != switchboard.EINVALID {
			t.Errorf("ParseEventCursor(%q) = %v, want EINVALID", s, err)
		}
	}
}
