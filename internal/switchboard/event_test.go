package switchboard_test

import (
	"context"
	"testing"

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
