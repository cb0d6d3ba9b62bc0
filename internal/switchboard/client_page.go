package switchboard

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// ClientCursor marks a position in the newest-first listing of clients: the
// listing is ordered by CreatedAt, then by ID, both descending, so a cursor
// names one place in it even when clients share a creation time.
type ClientCursor struct {
	CreatedAt time.Time
	ID        string // the clientId
}

// CursorOf returns the cursor at c's place in the listing.
func CursorOf(c *Client) *ClientCursor {
	return &ClientCursor{CreatedAt: c.CreatedAt, ID: c.ID}
}

// String returns the cursor's text form for links: URL-safe (unpadded
// base64url of the creation time in Unix nanoseconds, a dot and the
// clientId) and opaque to whoever holds it. ParseClientCursor reads it back.
func (c ClientCursor) String() string {
	raw := strconv.FormatInt(c.CreatedAt.UnixNano(), 10) + "." + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ErrBadCursor is the error for a cursor that names no place in the listing:
// ParseClientCursor answers it for any text it did not write, and
// FindClientPage for a cursor no stored client can have.
var ErrBadCursor = &Error{Code: EINVALID, Message: "Invalid page cursor"}

// ParseClientCursor reads the text form of String. Anything else, including
// an equivalent but differently written form, is an EINVALID *Error.
func ParseClientCursor(s string) (*ClientCursor, error) {
	// The longest cursor: 20 characters of nanoseconds, a dot, 64 of clientId.
	if s == "" || len(s) > base64.RawURLEncoding.EncodedLen(20+1+64) {
		return nil, ErrBadCursor
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, ErrBadCursor
	}
	nanos, id, ok := strings.Cut(string(raw), ".")
	if !ok || !clientIDPattern.MatchString(id) {
		return nil, ErrBadCursor
	}
	n, err := strconv.ParseInt(nanos, 10, 64)
	if err != nil {
		return nil, ErrBadCursor
	}
	c := &ClientCursor{CreatedAt: time.Unix(0, n).UTC(), ID: id}
	if c.String() != s { // leading zeros, a plus sign, ...
		return nil, ErrBadCursor
	}
	return c, nil
}

// ClientPageFilter selects one page of the newest-first listing of clients.
// Pages are found by keyset: After (or Before) a cursor, so a page deep in
// the listing costs what the first one does. At most one of After and
// Before may be set; with neither, the page is the newest one.
type ClientPageFilter struct {
	Status *Status
	// Search matches, ignoring case, any part of the full name, email or
	// business name, as in ClientFilter.
	Search string
	// After selects the clients older than the cursor (the next page).
	After *ClientCursor
	// Before selects the clients newer than the cursor (the previous page).
	Before *ClientCursor
	// Limit is the page size: 1..MaxClientLimit, DefaultClientLimit when zero.
	Limit int
}

// ClientPage is one page of clients, newest first.
type ClientPage struct {
	Clients []*Client
	// Newer is the Before cursor of the page of newer clients, and Older the
	// After cursor of the page of older ones; nil when there is no such page.
	Newer, Older *ClientCursor
}
