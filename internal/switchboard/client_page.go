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
func (c ClientCursor) String() string { return encodeCursor(c.CreatedAt, c.ID) }

// encodeCursor is the text form of a place in a newest-first listing: the
// time and the key that breaks ties (see ClientCursor.String).
func encodeCursor(at time.Time, key string) string {
	raw := strconv.FormatInt(at.UnixNano(), 10) + "." + key
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// decodeCursor reads what encodeCursor wrote, with a key of at most
// maxKey bytes that valid accepts; false for anything else, an equivalent
// but differently written form included.
func decodeCursor(s string, maxKey int, valid func(string) bool) (time.Time, string, bool) {
	// The longest cursor: 20 characters of nanoseconds, a dot, the key.
	if s == "" || len(s) > base64.RawURLEncoding.EncodedLen(20+1+maxKey) {
		return time.Time{}, "", false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return time.Time{}, "", false
	}
	nanos, key, ok := strings.Cut(string(raw), ".")
	if !ok || !valid(key) {
		return time.Time{}, "", false
	}
	n, err := strconv.ParseInt(nanos, 10, 64)
	if err != nil {
		return time.Time{}, "", false
	}
	at := time.Unix(0, n).UTC()
	if encodeCursor(at, key) != s { // leading zeros, a plus sign, ...
		return time.Time{}, "", false
	}
	return at, key, true
}

// ErrBadCursor is the error for a cursor that names no place in the listing:
// ParseClientCursor answers it for any text it did not write, and
// FindClientPage for a cursor no stored client can have.
var ErrBadCursor = &Error{Code: EINVALID, Message: "Invalid page cursor"}

// ParseClientCursor reads the text form of String. Anything else, including
// an equivalent but differently written form, is an EINVALID *Error.
func ParseClientCursor(s string) (*ClientCursor, error) {
	at, id, ok := decodeCursor(s, 64, clientIDPattern.MatchString)
	if !ok {
		return nil, ErrBadCursor
	}
	return &ClientCursor{CreatedAt: at, ID: id}, nil
}

// ClientPageFilter selects one page of the newest-first listing of clients.
// Pages are found by keyset: After (or Before) a cursor, so a page deep in
// the listing costs what the first one does. At most one of After and
// Before may be set; with neither, the page is the newest one.
type ClientPageFilter struct {
	Status *Status
	// Search matches as in ClientFilter.
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
