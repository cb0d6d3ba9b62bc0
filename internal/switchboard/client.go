// Package switchboard holds the domain of the service: client accounts, admins,
// their rules and the interfaces that storage implements. It imports only the
// standard library, so every transport and store speaks in these types.
package switchboard

import (
	"context"
	"time"
)

// Status is the state of a client account. Only Active clients may sign in
// and use their tokens.
type Status string

// The three statuses of README.md's "API" section.
const (
	StatusActive    Status = "Active"
	StatusInactive  Status = "Inactive"
	StatusSuspended Status = "Suspended"
)

// Statuses lists every valid status, in display order.
var Statuses = []Status{StatusActive, StatusInactive, StatusSuspended}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// ClientMeta is the contact information of a client.
type ClientMeta struct {
	FullName     string
	Email        string
	Phone        string
	BusinessName string
	City         string
	JobTitle     string
	Notes        string
}

// Client is a client account. SecretHash and TokenVersion are credentials:
// transports never serialize them.
type Client struct {
	ID                string // the clientId
	Status            Status
	AgentID           string // ElevenLabs conversational agent
	TwilioPhoneNumber string // caller id, E.164
	Meta              ClientMeta
	Calling           CallingSettings // set by the administrator
	CreatedAt         time.Time
	UpdatedAt         time.Time

	SecretHash string
	// TokenVersion is carried by every token issued to the client; raising it
	// ends all of them at once. It starts at a random value, so a client that
	// reuses a deleted client's id never matches the old tokens.
	TokenVersion int64
}

// ClientMetaUpdate holds the contact fields to change; nil leaves a field as is.
type ClientMetaUpdate struct {
	FullName     *string
	Email        *string
	Phone        *string
	BusinessName *string
	City         *string
	JobTitle     *string
	Notes        *string
}

// ClientUpdate holds the fields an update may change; nil leaves a field as
// is. The clientId and the secret are not among them: the id never changes and
// the secret has its own operations.
type ClientUpdate struct {
	Meta              ClientMetaUpdate
	AgentID           *string
	TwilioPhoneNumber *string
	Status            *Status
	// Calling replaces the calling settings whole.
	Calling *CallingSettings
}

// Empty reports whether upd changes nothing.
func (upd ClientUpdate) Empty() bool {
	for _, f := range ClientFields {
		if *f.OfUpdate(&upd) != nil {
			return false
		}
	}
	return upd.Status == nil && upd.Calling == nil
}

// ClientFilter selects clients for a listing, newest first.
type ClientFilter struct {
	Status *Status
	// Search matches, ignoring case, any part of the full name, email,
	// business name or clientId, or the digits of the phone or Twilio
	// number when it is written like a phone number.
	Search string
	Offset int
	Limit  int
}

// MaxSearchLength bounds, in characters, the search text of a listing.
const MaxSearchLength = 200

// Pagination bounds of ClientFilter.
const (
	DefaultClientLimit = 10
	MaxClientLimit     = 100
)

// ClientService stores client accounts. Implementations validate what they
// store (see Client.Validate and ClientUpdate.Validate).
type ClientService interface {
	// FindClientByID returns the client, or ENOTFOUND.
	FindClientByID(ctx context.Context, id string) (*Client, error)

	// FindClientByEmail returns the client whose email is email in any
	// letter case (after NormalizeEmail), or ENOTFOUND.
	FindClientByEmail(ctx context.Context, email string) (*Client, error)

	// FindTokenClient returns the client named by a token together with
	// whether the token's id has been revoked, in one read. ENOTFOUND if the
	// client does not exist.
	FindTokenClient(ctx context.Context, clientID, tokenID string) (c *Client, revoked bool, err error)

	// FindClients returns one page of the clients matching f and how many
	// match in all.
	FindClients(ctx context.Context, f ClientFilter) ([]*Client, int, error)

	// FindClientPage returns one page of the clients matching f, newest
	// first, by keyset: a page deep in the listing costs what the first one
	// does, and no total is counted. EINVALID when f sets both After and Before.
	FindClientPage(ctx context.Context, f ClientPageFilter) (*ClientPage, error)

	// CountClientsByStatus returns how many clients have each status; every
	// status of Statuses is in the map, zero when no client has it.
	CountClientsByStatus(ctx context.Context) (map[Status]int, error)

	// CountClientsUpTo returns how many clients match the status (any when
	// nil) and search, as FindClientPage's filter does. Without a search
	// the count is exact; with one it stops at max+1: a result above max
	// means "more than max".
	CountClientsUpTo(ctx context.Context, status *Status, search string, max int) (int, error)

	// CreateClient stores c, which must carry its SecretHash, and sets its
	// timestamps. EINVALID for bad fields, ECONFLICT when the clientId or the
	// email (in any letter case) is taken.
	CreateClient(ctx context.Context, c *Client) error

	// UpdateClient applies upd and returns the updated client. ENOTFOUND,
	// EINVALID, or ECONFLICT for an email that another client has.
	UpdateClient(ctx context.Context, id string, upd ClientUpdate) (*Client, error)

	// DeleteClient removes the client and everything that hangs off it. ENOTFOUND.
	DeleteClient(ctx context.Context, id string) error

	// SetClientSecretHash replaces the secret hash and raises TokenVersion in
	// the same write, which ends every token issued before. ENOTFOUND.
	SetClientSecretHash(ctx context.Context, id, hash string) (*Client, error)

	// RevokeClientTokens raises TokenVersion and leaves the secret as it is:
	// every token issued before, browser sessions included, stops working.
	// ENOTFOUND.
	RevokeClientTokens(ctx context.Context, id string) (*Client, error)
}
