// Package mock has function-field implementations of the domain services, so
// a test can make storage fail in ways a real database will not on demand.
package mock

import (
	"context"

	"switchboard/internal/switchboard"
)

var _ switchboard.ClientService = (*ClientService)(nil)

// ClientService implements switchboard.ClientService with one function per
// method; calling a method whose function is nil panics, which names the
// method the test did not expect.
type ClientService struct {
	FindClientByIDFn       func(ctx context.Context, id string) (*switchboard.Client, error)
	FindClientByEmailFn    func(ctx context.Context, email string) (*switchboard.Client, error)
	FindTokenClientFn      func(ctx context.Context, clientID, tokenID string) (*switchboard.Client, bool, error)
	FindClientsFn          func(ctx context.Context, f switchboard.ClientFilter) ([]*switchboard.Client, int, error)
	FindClientPageFn       func(ctx context.Context, f switchboard.ClientPageFilter) (*switchboard.ClientPage, error)
	CountClientsByStatusFn func(ctx context.Context) (map[switchboard.Status]int, error)
	CountClientsUpToFn     func(ctx context.Context, status *switchboard.Status, search string, max int) (int, error)
	CreateClientFn         func(ctx context.Context, c *switchboard.Client) error
	UpdateClientFn         func(ctx context.Context, id string, upd switchboard.ClientUpdate) (*switchboard.Client, error)
	DeleteClientFn         func(ctx context.Context, id string) error
	SetClientSecretHashFn  func(ctx context.Context, id, hash string) (*switchboard.Client, error)
	RevokeClientTokensFn   func(ctx context.Context, id string) (*switchboard.Client, error)
}

func (s *ClientService) FindClientByID(ctx context.Context, id string) (*switchboard.Client, error) {
	return s.FindClientByIDFn(ctx, id)
}

func (s *ClientService) FindClientByEmail(ctx context.Context, email string) (*switchboard.Client, error) {
	return s.FindClientByEmailFn(ctx, email)
}

func (s *ClientService) FindTokenClient(ctx context.Context, clientID, tokenID string) (*switchboard.Client, bool, error) {
	return s.FindTokenClientFn(ctx, clientID, tokenID)
}

func (s *ClientService) FindClients(ctx context.Context, f switchboard.ClientFilter) ([]*switchboard.Client, int, error) {
	return s.FindClientsFn(ctx, f)
}

func (s *ClientService) FindClientPage(ctx context.Context, f switchboard.ClientPageFilter) (*switchboard.ClientPage, error) {
	return s.FindClientPageFn(ctx, f)
}

func (s *ClientService) CountClientsByStatus(ctx context.Context) (map[switchboard.Status]int, error) {
	return s.CountClientsByStatusFn(ctx)
}

func (s *ClientService) CountClientsUpTo(ctx context.Context, status *switchboard.Status, search string, max int) (int, error) {
	return s.CountClientsUpToFn(ctx, status, search, max)
}

func (s *ClientService) CreateClient(ctx context.Context, c *switchboard.Client) error {
	return s.CreateClientFn(ctx, c)
}

func (s *ClientService) UpdateClient(ctx context.Context, id string, upd switchboard.ClientUpdate) (*switchboard.Client, error) {
	return s.UpdateClientFn(ctx, id, upd)
}

func (s *ClientService) DeleteClient(ctx context.Context, id string) error {
	return s.DeleteClientFn(ctx, id)
}

func (s *ClientService) SetClientSecretHash(ctx context.Context, id, hash string) (*switchboard.Client, error) {
	return s.SetClientSecretHashFn(ctx, id, hash)
}

func (s *ClientService) RevokeClientTokens(ctx context.Context, id string) (*switchboard.Client, error) {
	return s.RevokeClientTokensFn(ctx, id)
}
