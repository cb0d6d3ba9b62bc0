package switchboard

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ClientSort is an order of the client listing. Every order breaks ties by
// the clientId, so a cursor names one place in it.
type ClientSort string

// The orders of the client listing; the text is a page address's "sort".
const (
	SortNewest   ClientSort = "-created" // by creation, newest first: the default
	SortOldest   ClientSort = "created"  // by creation, oldest first
	SortName     ClientSort = "name"     // by name (NameKey), A to Z
	SortNameDesc ClientSort = "-name"    // by name, Z to A
)

// ClientSorts are the orders of the listing.
var ClientSorts = []ClientSort{SortNewest, SortOldest, SortName, SortNameDesc}

// ByName reports whether the order is by name rather than by time.
func (s ClientSort) ByName() bool { return s == SortName || s == SortNameDesc }

// Descending reports whether the order runs from the greatest key down.
func (s ClientSort) Descending() bool { return s == SortNewest || s == SortNameDesc || s == "" }

// NameKey is the key clients are sorted by name on: the full name in lower
// case, so letter case does not split "ada" from "Ada". Keys compare by
// their bytes.
func NameKey(fullName string) string { return strings.ToLower(fullName) }

// ClientCursor marks a position in a listing of clients: by CreatedAt (the
// default order) or by Name (the NameKey, in the name orders), then by ID,
// so a cursor names one place in it even when clients share a creation time
// or a name.
type ClientCursor struct {
	CreatedAt time.Time
	// Name is the NameKey of a cursor in a name order; "" in a time order.
	Name string
	ID   string // the clientId
}

// CursorOf returns the cursor at c's place in the listing by creation.
func CursorOf(c *Client) *ClientCursor {
	return &ClientCursor{CreatedAt: c.CreatedAt, ID: c.ID}
}

// CursorIn returns the cursor at c's place in a listing in the order sort.
func CursorIn(c *Client, sort ClientSort) *ClientCursor {
	if sort.ByName() {
		return &ClientCursor{Name: NameKey(c.Meta.FullName), ID: c.ID}
	}
	return CursorOf(c)
}

// String returns the cursor's text form for links: URL-safe (unpadded
// base64url of the creation time in Unix nanoseconds, a dot and the
// clientId; or, in a name order, "~", the clientId, a line break and the
// name) and opaque to whoever holds it. ParseClientCursor reads it back.
func (c ClientCursor) String() string {
	if c.Name != "" {
		return base64.RawURLEncoding.EncodeToString([]byte(nameCursorMark + c.ID + "\n" + c.Name))
	}
	return encodeCursor(c.CreatedAt, c.ID)
}

// nameCursorMark starts the text of a name order's cursor; a time's never
// starts with it.
const nameCursorMark = "~"

// maxNameKey is the longest NameKey, in bytes: a full name's 200
// characters of up to four bytes each.
const maxNameKey = 800

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
	if c, ok := parseNameCursor(s); ok {
		return c, nil
	}
	at, id, ok := decodeCursor(s, 64, clientIDPattern.MatchString)
	if !ok {
		return nil, ErrBadCursor
	}
	return &ClientCursor{CreatedAt: at, ID: id}, nil
}

// parseNameCursor reads the text of a name order's cursor.
func parseNameCursor(s string) (*ClientCursor, bool) {
	if len(s) > base64.RawURLEncoding.EncodedLen(len(nameCursorMark)+64+1+maxNameKey) {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, false
	}
	rest, ok := strings.CutPrefix(string(raw), nameCursorMark)
	if !ok {
		return nil, false
	}
	id, name, ok := strings.Cut(rest, "\n")
	if !ok || !clientIDPattern.MatchString(id) || name == "" || len(name) > maxNameKey || !utf8.ValidString(name) ||
		NameKey(name) != name {
		return nil, false
	}
	c := &ClientCursor{Name: name, ID: id}
	return c, c.String() == s
}

// ClientPageFilter selects one page of the listing of clients in the
// order Sort (newest first by default). Pages are found by keyset: After
// (or Before) a cursor of that order, so a page deep in the listing costs
// what the first one does. At most one of After and Before may be set;
// with neither, the page is the first one.
type ClientPageFilter struct {
	// Sort is the order; "" is SortNewest.
	Sort   ClientSort
	Status *Status
	// Search matches as in ClientFilter.
	Search string
	// After selects the clients after the cursor in the order (the next
	// page: older ones in the default order).
	After *ClientCursor
	// Before selects the clients before the cursor (the previous page).
	Before *ClientCursor
	// Limit is the page size: 1..MaxClientLimit, DefaultClientLimit when zero.
	Limit int
}

// ClientPage is one page of clients, in the order asked for.
type ClientPage struct {
	Clients []*Client
	// Newer is the Before cursor of the previous page, and Older the After
	// cursor of the next one (newer and older clients in the default
	// order); nil when there is no such page.
	Newer, Older *ClientCursor
}
