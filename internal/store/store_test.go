package store_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

const (
	msgConflict = "Client already exists with this ID or email"
	msgNotFound = "Client not found"
)

// newClient returns a valid client with the given id and email and a
// stand-in hash (the store does not care what the hash is).
func newClient(id, email string) *switchboard.Client {
	return &switchboard.Client{
		ID:                id,
		AgentID:           "agent_" + id,
		TwilioPhoneNumber: "+18001234567",
		Meta: switchboard.ClientMeta{
			FullName:     "Name of " + id,
			Email:        email,
			Phone:        "+12125551234",
			BusinessName: "Business of " + id,
			City:         "New York",
			JobTitle:     "CEO",
			Notes:        "Prefers morning calls\nand short ones",
		},
		SecretHash: "hash-of-" + id,
	}
}

// mustCreate stores c or fails the test.
func mustCreate(t *testing.T, s *store.Store, c *switchboard.Client) *switchboard.Client {
	t.Helper()
	if err := s.CreateClient(context.Background(), c); err != nil {
		t.Fatalf("CreateClient(%q): %v", c.ID, err)
	}
	return c
}

// mustFind returns the stored client or fails the test.
func mustFind(t *testing.T, s *store.Store, id string) *switchboard.Client {
	t.Helper()
	c, err := s.FindClientByID(context.Background(), id)
	if err != nil {
		t.Fatalf("FindClientByID(%q): %v", id, err)
	}
	return c
}

// checkErr asserts err's code and message (and, when wantDetails is not
// empty, its details).
func checkErr(t *testing.T, err error, wantCode, wantMsg, wantDetails string) {
	t.Helper()
	var e *switchboard.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want a *switchboard.Error %s", err, err, wantCode)
	}
	if got, want := e.Code, wantCode; got != want {
		t.Errorf("Code = %q, want %q", got, want)
	}
	if got, want := e.Message, wantMsg; got != want {
		t.Errorf("Message = %q, want %q", got, want)
	}
	if got, want := e.Details, wantDetails; wantDetails != "" && got != want {
		t.Errorf("Details = %q, want %q", got, want)
	}
}

// sameClient asserts that got equals want field by field, times compared as
// instants and required to be UTC.
func sameClient(t *testing.T, got, want *switchboard.Client) {
	t.Helper()
	if got == nil || want == nil {
		t.Fatalf("client = %v, want %v", got, want)
	}
	for _, tm := range []struct {
		name      string
		got, want time.Time
	}{{"CreatedAt", got.CreatedAt, want.CreatedAt}, {"UpdatedAt", got.UpdatedAt, want.UpdatedAt}} {
		if !tm.got.Equal(tm.want) {
			t.Errorf("%s = %v, want %v", tm.name, tm.got, tm.want)
		}
		if tm.got.Location() != time.UTC {
			t.Errorf("%s location = %v, want UTC", tm.name, tm.got.Location())
		}
	}
	g, w := *got, *want
	g.CreatedAt, g.UpdatedAt, w.CreatedAt, w.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("client =\n%+v, want\n%+v", g, w)
	}
}

// ids returns the clientIds of cs in order.
func ids(cs []*switchboard.Client) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// count returns how many clients are stored.
func count(t *testing.T, s *store.Store) int {
	t.Helper()
	_, n, err := s.FindClients(context.Background(), switchboard.ClientFilter{})
	if err != nil {
		t.Fatalf("FindClients: %v", err)
	}
	return n
}

func ptr[T any](v T) *T { return &v }

// checkFirstVersion asserts that v is a valid first TokenVersion: positive
// and at most 2^52, so the claim survives any JSON reader's float64.
func checkFirstVersion(t *testing.T, v int64) {
	t.Helper()
	if v < 1 || v > 1<<52 {
		t.Errorf("first TokenVersion = %d, want 1 to 2^52", v)
	}
}

// each runs fn as a subtest named name on every dialect, with a fresh store.
func each(t *testing.T, name string, fn func(t *testing.T, s *store.Store)) {
	t.Run(name, func(t *testing.T) { storetest.EachDialect(t, fn) })
}

func TestClientService_CreateClient(t *testing.T) {
	ctx := context.Background()

	each(t, "OK", func(t *testing.T, s *store.Store) {
		before := time.Now().UTC().Truncate(time.Millisecond)
		c := newClient("client_a", "john@example.com")
		mustCreate(t, s, c)
		after := time.Now().UTC()

		if c.CreatedAt.Before(before) || c.CreatedAt.After(after) {
			t.Errorf("CreatedAt = %v, want between %v and %v", c.CreatedAt, before, after)
		}
		if got, want := c.UpdatedAt, c.CreatedAt; !got.Equal(want) {
			t.Errorf("UpdatedAt = %v, want CreatedAt %v", got, want)
		}
		if got, want := c.CreatedAt, c.CreatedAt.Truncate(time.Millisecond); !got.Equal(want) {
			t.Errorf("CreatedAt = %v, want millisecond precision", got)
		}
		if got, want := c.CreatedAt.Location(), time.UTC; got != want {
			t.Errorf("CreatedAt location = %v, want %v", got, want)
		}
		checkFirstVersion(t, c.TokenVersion)
		if got, want := c.Status, switchboard.StatusActive; got != want {
			t.Errorf("Status = %q, want default %q", got, want)
		}

		want := newClient("client_a", "john@example.com")
		want.Status, want.TokenVersion, want.CreatedAt, want.UpdatedAt = switchboard.StatusActive, c.TokenVersion, c.CreatedAt, c.UpdatedAt
		sameClient(t, mustFind(t, s, "client_a"), want)

		// Each client starts at its own version.
		b := mustCreate(t, s, newClient("client_b", "jane@example.com"))
		checkFirstVersion(t, b.TokenVersion)
		if b.TokenVersion == c.TokenVersion {
			t.Errorf("two clients share the first TokenVersion %d", c.TokenVersion)
		}
	})

	each(t, "OKNormalizesAndKeepsStatus", func(t *testing.T, s *store.Store) {
		c := newClient("  client_b ", " Jane@Example.com\n")
		c.AgentID = " agent_b\t"
		c.Status = switchboard.StatusSuspended
		c.Meta.FullName = "  Émile Zola  "
		c.Meta.Notes = "日本語\nnotes "
		mustCreate(t, s, c)

		got := mustFind(t, s, "client_b")
		if got, want := got.Meta.Email, "Jane@Example.com"; got != want {
			t.Errorf("Email = %q, want %q (trimmed, case kept)", got, want)
		}
		if got, want := got.Meta.FullName, "Émile Zola"; got != want {
			t.Errorf("FullName = %q, want %q", got, want)
		}
		if got, want := got.Meta.Notes, "日本語\nnotes"; got != want {
			t.Errorf("Notes = %q, want %q", got, want)
		}
		if got, want := got.Status, switchboard.StatusSuspended; got != want {
			t.Errorf("Status = %q, want %q", got, want)
		}
		if got, want := got.AgentID, "agent_b"; got != want {
			t.Errorf("AgentID = %q, want %q", got, want)
		}
	})

	conflicts := []struct {
		name        string
		second      *switchboard.Client
		wantDetails string
		wantField   string
	}{
		{"ErrConflictClientID", newClient("client_a", "other@example.com"), `clientId "client_a" is already taken`, "clientId"},
		{"ErrConflictEmail", newClient("client_b", "john@example.com"),
			`clientMeta.email "john@example.com" is already used by another client`, "clientMeta.email"},
		{"ErrConflictEmailCase", newClient("client_b", "JOHN@Example.com"),
			`clientMeta.email "JOHN@Example.com" is already used by another client`, "clientMeta.email"},
		{"ErrConflictEmailSpaces", newClient("client_b", "  John@example.COM "),
			`clientMeta.email "John@example.COM" is already used by another client`, "clientMeta.email"},
	}
	for _, tt := range conflicts {
		each(t, tt.name, func(t *testing.T, s *store.Store) {
			first := mustCreate(t, s, newClient("client_a", "john@example.com"))
			second := *tt.second
			err := s.CreateClient(ctx, &second)
			checkErr(t, err, switchboard.ECONFLICT, msgConflict, tt.wantDetails)
			if e := (*switchboard.Error)(nil); errors.As(err, &e) && e.Field != tt.wantField {
				t.Errorf("Field = %q, want %q", e.Field, tt.wantField)
			}

			if got, want := count(t, s), 1; got != want {
				t.Errorf("clients stored = %d, want %d", got, want)
			}
			sameClient(t, mustFind(t, s, "client_a"), first)
			if _, err := s.FindClientByID(ctx, "client_b"); switchboard.ErrorCode(err) != switchboard.ENOTFOUND {
				t.Errorf("FindClientByID(client_b) error = %v, want ENOTFOUND", err)
			}
		})
	}

	invalid := []struct {
		name    string
		edit    func(c *switchboard.Client)
		wantMsg string
	}{
		{"ErrInvalidMissingEmail", func(c *switchboard.Client) { c.Meta.Email = "" }, "Missing required client information"},
		{"ErrInvalidMissingAgent", func(c *switchboard.Client) { c.AgentID = "" }, "Missing required eleven labs outbound agent ID"},
		{"ErrInvalidMissingTwilio", func(c *switchboard.Client) { c.TwilioPhoneNumber = "" }, "Missing required Twilio phone number"},
		{"ErrInvalidTwilio", func(c *switchboard.Client) { c.TwilioPhoneNumber = "+0800" }, switchboard.MsgInvalidPhone},
		{"ErrInvalidEmail", func(c *switchboard.Client) { c.Meta.Email = "John <j@x.com>" }, switchboard.MsgInvalidEmail},
		{"ErrInvalidStatus", func(c *switchboard.Client) { c.Status = "Deleted" }, switchboard.MsgInvalidStatus},
		{"ErrInvalidNUL", func(c *switchboard.Client) { c.Meta.Notes = "a\x00b" }, "clientMeta.notes contains a control character"},
	}
	for _, tt := range invalid {
		each(t, tt.name, func(t *testing.T, s *store.Store) {
			c := newClient("client_a", "john@example.com")
			tt.edit(c)
			checkErr(t, s.CreateClient(ctx, c), switchboard.EINVALID, tt.wantMsg, "")
			if got, want := count(t, s), 0; got != want {
				t.Errorf("clients stored = %d, want %d", got, want)
			}
		})
	}

	each(t, "ErrNoSecretHash", func(t *testing.T, s *store.Store) {
		c := newClient("client_a", "john@example.com")
		c.SecretHash = ""
		err := s.CreateClient(ctx, c)
		if err == nil {
			t.Fatal("CreateClient without a secret hash succeeded")
		}
		if got, want := switchboard.ErrorCode(err), switchboard.EINTERNAL; got != want {
			t.Errorf("ErrorCode = %q, want %q", got, want)
		}
		if got, want := count(t, s), 0; got != want {
			t.Errorf("clients stored = %d, want %d", got, want)
		}
	})
}

func TestClientService_CreateClient_ConcurrentSameEmail(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		const n = 50
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Vary the letter case of "same@example.com" with the bits of i.
				email := []byte("same@example.com")
				for b, pos := range []int{0, 1, 2, 3, 5, 6} {
					if i&(1<<b) != 0 {
						email[pos] -= 'a' - 'A'
					}
				}
				<-start
				errs[i] = s.CreateClient(context.Background(), newClient(fmt.Sprintf("client_%02d", i), string(email)))
			}()
		}
		close(start)
		wg.Wait()

		var ok, conflicts int
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
			case switchboard.ErrorCode(err) == switchboard.ECONFLICT && switchboard.ErrorMessage(err) == msgConflict:
				conflicts++
			default:
				t.Errorf("goroutine %d: error = %v, want nil or ECONFLICT", i, err)
			}
		}
		if got, want := ok, 1; got != want {
			t.Errorf("successes = %d, want %d", got, want)
		}
		if got, want := conflicts, n-1; got != want {
			t.Errorf("conflicts = %d, want %d", got, want)
		}
		cs, total, err := s.FindClients(context.Background(), switchboard.ClientFilter{})
		if err != nil {
			t.Fatalf("FindClients: %v", err)
		}
		if got, want := total, 1; got != want {
			t.Fatalf("clients stored = %d, want %d", got, want)
		}
		if got, want := switchboard.EmailKey(cs[0].Meta.Email), "same@example.com"; got != want {
			t.Errorf("stored email key = %q, want %q", got, want)
		}
	})
}

func TestClientService_FindClientByID(t *testing.T) {
	each(t, "ErrNotFound", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "john@example.com"))
		for _, id := range []string{"client_b", "", "CLIENT_A", "client_a "} {
			c, err := s.FindClientByID(context.Background(), id)
			checkErr(t, err, switchboard.ENOTFOUND, msgNotFound, "")
			if c != nil {
				t.Errorf("FindClientByID(%q) = %+v, want nil", id, c)
			}
		}
	})
}

func TestClientService_FindClientByEmail(t *testing.T) {
	each(t, "AnyCase", func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustCreate(t, s, newClient("client_a", "John@Example.com"))
		mustCreate(t, s, newClient("client_b", "jane@example.com"))
		for _, email := range []string{"John@Example.com", "john@example.com", " JOHN@EXAMPLE.COM "} {
			c, err := s.FindClientByEmail(ctx, email)
			if err != nil || c.ID != "client_a" {
				t.Errorf("FindClientByEmail(%q) = %v, %v; want client_a", email, c, err)
			}
		}
		for _, email := range []string{"", "nobody@example.com", "john@example", "john\x00@example.com", "\xff"} {
			c, err := s.FindClientByEmail(ctx, email)
			checkErr(t, err, switchboard.ENOTFOUND, msgNotFound, "")
			if c != nil {
				t.Errorf("FindClientByEmail(%q) = %+v, want nil", email, c)
			}
		}
	})
}

// TestStore_UnstorableKey: a key that PostgreSQL cannot hold as text (a NUL,
// invalid UTF-8) names no row. Every lookup says ENOTFOUND, as on SQLite, rather
// than an internal error: an admin login with such a username must be a 401.
func TestStore_UnstorableKey(t *testing.T) {
	ctx := context.Background()
	for _, key := range []string{"client_a\x00", "\x00", "client_\xff"} {
		each(t, fmt.Sprintf("%q", key), func(t *testing.T, s *store.Store) {
			mustCreate(t, s, newClient("client_a", "john@example.com"))
			if err := s.CreateAdmin(ctx, &switchboard.Admin{Username: "client_a", PasswordHash: "h"}); err != nil {
				t.Fatal(err)
			}
			_, err := s.FindClientByID(ctx, key)
			checkErr(t, err, switchboard.ENOTFOUND, msgNotFound, "")
			_, _, err = s.FindTokenClient(ctx, key, "jti")
			checkErr(t, err, switchboard.ENOTFOUND, msgNotFound, "")
			_, err = s.UpdateClient(ctx, key, switchboard.ClientUpdate{Status: ptr(switchboard.StatusInactive)})
			checkErr(t, err, switchboard.ENOTFOUND, msgNotFound, "")
			_, err = s.SetClientSecretHash(ctx, key, "hash")
			checkErr(t, err, switchboard.ENOTFOUND, msgNotFound, "")
			_, err = s.RevokeClientTokens(ctx, key)
			checkErr(t, err, switchboard.ENOTFOUND, msgNotFound, "")
			checkErr(t, s.DeleteClient(ctx, key), switchboard.ENOTFOUND, msgNotFound, "")
			_, err = s.FindAdminByUsername(ctx, key)
			checkErr(t, err, switchboard.ENOTFOUND, "Admin not found", "")
			checkErr(t, s.SetAdminPasswordHash(ctx, key, "x"), switchboard.ENOTFOUND, "Admin not found", "")
		})
	}
}

func TestClientService_FindClients(t *testing.T) {
	ctx := context.Background()

	each(t, "OKNewestFirst", func(t *testing.T, s *store.Store) {
		var want []string
		for i := range 6 {
			id := fmt.Sprintf("client_%d", i)
			mustCreate(t, s, newClient(id, id+"@example.com"))
			want = append([]string{id}, want...)
			if i == 2 {
				time.Sleep(3 * time.Millisecond) // some in the same millisecond, some not
			}
		}
		cs, total, err := s.FindClients(ctx, switchboard.ClientFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(cs); !reflect.DeepEqual(got, want) {
			t.Errorf("order = %q, want %q", got, want)
		}
		if got, want := total, 6; got != want {
			t.Errorf("total = %d, want %d", got, want)
		}
		sameClient(t, cs[0], mustFind(t, s, "client_5"))
	})

	each(t, "OKEmpty", func(t *testing.T, s *store.Store) {
		cs, total, err := s.FindClients(ctx, switchboard.ClientFilter{Search: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 0 || total != 0 {
			t.Errorf("FindClients on an empty store = %d clients, total %d, want none", len(cs), total)
		}
	})

	// The search and status fixtures: id, name, email, business, status.
	fixtures := []struct {
		id, name, email, business string
		status                    switchboard.Status
	}{
		{"c_john", "John Doe", "john@example.com", "Acme Corp", switchboard.StatusActive},
		{"c_jane", "Jane Roe", "jane@roe.org", "ACME Widgets", switchboard.StatusSuspended},
		{"c_emile", "Émile Zola", "emile@zola.fr", "Librairie", switchboard.StatusActive},
		{"c_pct", "100% Pure", "pure@pure.com", "", switchboard.StatusInactive},
		{"c_under", "Under Score", "under_score@mail.com", "", switchboard.StatusActive},
		{"c_slash", "Back Slash", "bs@mail.com", `Back\Slash Ltd`, switchboard.StatusSuspended},
		{"c_other", "Zed", "zed@zed.io", "Nothing", switchboard.StatusInactive},
	}
	seed := func(t *testing.T, s *store.Store) {
		for _, f := range fixtures {
			c := newClient(f.id, f.email)
			c.Meta.FullName, c.Meta.BusinessName, c.Status = f.name, f.business, f.status
			c.Meta.City, c.Meta.Notes, c.Meta.JobTitle = "Springfield", "secret plans", "Chief"
			mustCreate(t, s, c)
		}
	}
	searches := []struct {
		name   string
		filter switchboard.ClientFilter
		want   []string // newest first
	}{
		{"All", switchboard.ClientFilter{}, []string{"c_other", "c_slash", "c_under", "c_pct", "c_emile", "c_jane", "c_john"}},
		{"StatusActive", switchboard.ClientFilter{Status: ptr(switchboard.StatusActive)}, []string{"c_under", "c_emile", "c_john"}},
		{"StatusSuspended", switchboard.ClientFilter{Status: ptr(switchboard.StatusSuspended)}, []string{"c_slash", "c_jane"}},
		{"StatusInactive", switchboard.ClientFilter{Status: ptr(switchboard.StatusInactive)}, []string{"c_other", "c_pct"}},
		{"StatusUnknown", switchboard.ClientFilter{Status: ptr(switchboard.Status("Deleted"))}, []string{}},
		{"SearchName", switchboard.ClientFilter{Search: "john"}, []string{"c_john"}},
		{"SearchNameUpperCase", switchboard.ClientFilter{Search: "JOHN DOE"}, []string{"c_john"}},
		{"SearchTrimmed", switchboard.ClientFilter{Search: "  roe  "}, []string{"c_jane"}},
		{"SearchEmail", switchboard.ClientFilter{Search: "example.com"}, []string{"c_john"}},
		{"SearchEmailPart", switchboard.ClientFilter{Search: "ZOLA.FR"}, []string{"c_emile"}},
		{"SearchBusinessCase", switchboard.ClientFilter{Search: "acme"}, []string{"c_jane", "c_john"}},
		{"SearchNonASCII", switchboard.ClientFilter{Search: "émile"}, []string{"c_emile"}},
		{"SearchNonASCIIUpperCase", switchboard.ClientFilter{Search: "ÉMILE"}, []string{"c_emile"}},
		{"SearchPercentLiteral", switchboard.ClientFilter{Search: "%"}, []string{"c_pct"}},
		{"SearchPercentsLiteral", switchboard.ClientFilter{Search: "%%"}, []string{}},
		{"SearchPercentWithText", switchboard.ClientFilter{Search: "100%"}, []string{"c_pct"}},
		{"SearchUnderscoreLiteral", switchboard.ClientFilter{Search: "r_s"}, []string{"c_under"}}, // every clientId has a "_"
		{"SearchUnderscoreNotWildcard", switchboard.ClientFilter{Search: "1_0"}, []string{}},
		{"SearchBackslashLiteral", switchboard.ClientFilter{Search: `\`}, []string{"c_slash"}},
		{"SearchBackslashWithText", switchboard.ClientFilter{Search: `k\s`}, []string{"c_slash"}},
		{"SearchNotCity", switchboard.ClientFilter{Search: "springfield"}, []string{}},
		{"SearchNotNotes", switchboard.ClientFilter{Search: "secret plans"}, []string{}},
		{"SearchNotJobTitle", switchboard.ClientFilter{Search: "chief"}, []string{}},
		{"SearchClientID", switchboard.ClientFilter{Search: "C_EM"}, []string{"c_emile"}},
		{"SearchClientIDWhole", switchboard.ClientFilter{Search: "c_jane"}, []string{"c_jane"}},
		{"SearchPhone", switchboard.ClientFilter{Search: "+1 (212) 555-1234", Status: ptr(switchboard.StatusSuspended)}, []string{"c_slash", "c_jane"}},
		{"SearchTwilioNumber", switchboard.ClientFilter{Search: "800 123 4567", Status: ptr(switchboard.StatusInactive)}, []string{"c_other", "c_pct"}},
		{"SearchPhoneTooShort", switchboard.ClientFilter{Search: "9-9"}, []string{}},
		{"SearchNoMatch", switchboard.ClientFilter{Search: "nobody"}, []string{}},
		{"SearchBlankIsAll", switchboard.ClientFilter{Search: "   "}, []string{"c_other", "c_slash", "c_under", "c_pct", "c_emile", "c_jane", "c_john"}},
		{"SearchAndStatus", switchboard.ClientFilter{Search: "acme", Status: ptr(switchboard.StatusActive)}, []string{"c_john"}},
		{"SearchAndStatusNone", switchboard.ClientFilter{Search: "zola", Status: ptr(switchboard.StatusInactive)}, []string{}},
	}
	for _, tt := range searches {
		each(t, tt.name, func(t *testing.T, s *store.Store) {
			seed(t, s)
			cs, total, err := s.FindClients(ctx, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := ids(cs), tt.want; !reflect.DeepEqual(got, want) {
				t.Errorf("FindClients(%+v) = %q, want %q", tt.filter, got, want)
			}
			if got, want := total, len(tt.want); got != want {
				t.Errorf("total = %d, want %d", got, want)
			}
		})
	}

	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		const n = 105
		newest := make([]string, n) // newest first
		for i := range n {
			id := fmt.Sprintf("client_%03d", i)
			c := newClient(id, id+"@example.com")
			if i%3 == 0 {
				c.Status = switchboard.StatusSuspended
			}
			mustCreate(t, s, c)
			newest[n-1-i] = id
		}
		var suspended []string
		for _, id := range newest {
			var i int
			fmt.Sscanf(id, "client_%d", &i)
			if i%3 == 0 {
				suspended = append(suspended, id)
			}
		}
		pages := []struct {
			name      string
			filter    switchboard.ClientFilter
			want      []string
			wantTotal int
		}{
			{"LimitDefault", switchboard.ClientFilter{}, newest[:10], n},
			{"LimitNegative", switchboard.ClientFilter{Limit: -1}, newest[:10], n},
			{"Limit1", switchboard.ClientFilter{Limit: 1}, newest[:1], n},
			{"Limit100", switchboard.ClientFilter{Limit: 100}, newest[:100], n},
			{"LimitClamped", switchboard.ClientFilter{Limit: 1000}, newest[:100], n},
			{"Offset", switchboard.ClientFilter{Limit: 3, Offset: 2}, newest[2:5], n},
			{"OffsetNegative", switchboard.ClientFilter{Limit: 3, Offset: -5}, newest[:3], n},
			{"OffsetLastPage", switchboard.ClientFilter{Offset: 100}, newest[100:], n},
			{"OffsetPastEnd", switchboard.ClientFilter{Offset: 200}, []string{}, n},
			{"StatusTotal", switchboard.ClientFilter{Status: ptr(switchboard.StatusSuspended), Limit: 5}, suspended[:5], len(suspended)},
			{"StatusOffset", switchboard.ClientFilter{Status: ptr(switchboard.StatusSuspended), Limit: 5, Offset: 33}, suspended[33:], len(suspended)},
			{"SearchTotal", switchboard.ClientFilter{Search: "client_10", Limit: 2}, []string{"client_104", "client_103"}, 5},
		}
		for _, tt := range pages {
			t.Run(tt.name, func(t *testing.T) {
				cs, total, err := s.FindClients(ctx, tt.filter)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := ids(cs), tt.want; !reflect.DeepEqual(got, want) {
					t.Errorf("page = %q, want %q", got, want)
				}
				if got, want := total, tt.wantTotal; got != want {
					t.Errorf("total = %d, want %d", got, want)
				}
			})
		}
	})
}

func TestClientService_UpdateClient(t *testing.T) {
	ctx := context.Background()

	each(t, "OK", func(t *testing.T, s *store.Store) {
		orig := mustCreate(t, s, newClient("client_a", "john@example.com"))
		other := mustCreate(t, s, newClient("client_b", "jane@example.com"))
		time.Sleep(2 * time.Millisecond)

		upd := switchboard.ClientUpdate{
			Meta:   switchboard.ClientMetaUpdate{FullName: ptr("  Johnny Doe "), City: ptr(""), Notes: ptr("new\nnotes")},
			Status: ptr(switchboard.StatusSuspended),
		}
		got, err := s.UpdateClient(ctx, "client_a", upd)
		if err != nil {
			t.Fatal(err)
		}
		want := *orig
		want.Meta.FullName, want.Meta.City, want.Meta.Notes = "Johnny Doe", "", "new\nnotes"
		want.Status = switchboard.StatusSuspended
		want.UpdatedAt = got.UpdatedAt
		sameClient(t, got, &want)
		if !got.UpdatedAt.After(orig.UpdatedAt) {
			t.Errorf("UpdatedAt = %v, want after %v", got.UpdatedAt, orig.UpdatedAt)
		}
		if got, want := got.UpdatedAt, got.UpdatedAt.Truncate(time.Millisecond); !got.Equal(want) {
			t.Errorf("UpdatedAt = %v, want millisecond precision", got)
		}
		sameClient(t, mustFind(t, s, "client_a"), got)
		sameClient(t, mustFind(t, s, "client_b"), other)
	})

	each(t, "OKEveryField", func(t *testing.T, s *store.Store) {
		orig := mustCreate(t, s, newClient("client_a", "john@example.com"))
		upd := switchboard.ClientUpdate{
			Meta: switchboard.ClientMetaUpdate{
				FullName: ptr("Jane Roe"), Email: ptr("jane@example.org"), Phone: ptr("+442071234567"),
				BusinessName: ptr("Roe Ltd"), City: ptr("London"), JobTitle: ptr("CTO"), Notes: ptr("x"),
			},
			AgentID: ptr("agent_2"), TwilioPhoneNumber: ptr("+18005550000"), Status: ptr(switchboard.StatusInactive),
		}
		got, err := s.UpdateClient(ctx, "client_a", upd)
		if err != nil {
			t.Fatal(err)
		}
		want := switchboard.Client{
			ID: "client_a", Status: switchboard.StatusInactive, AgentID: "agent_2", TwilioPhoneNumber: "+18005550000",
			Meta: switchboard.ClientMeta{
				FullName: "Jane Roe", Email: "jane@example.org", Phone: "+442071234567",
				BusinessName: "Roe Ltd", City: "London", JobTitle: "CTO", Notes: "x",
			},
			CreatedAt: orig.CreatedAt, UpdatedAt: got.UpdatedAt, SecretHash: orig.SecretHash, TokenVersion: orig.TokenVersion,
		}
		sameClient(t, got, &want)
		sameClient(t, mustFind(t, s, "client_a"), &want)
	})

	each(t, "OKEmptyUpdate", func(t *testing.T, s *store.Store) {
		orig := mustCreate(t, s, newClient("client_a", "john@example.com"))
		got, err := s.UpdateClient(ctx, "client_a", switchboard.ClientUpdate{})
		if err != nil {
			t.Fatal(err)
		}
		want := *orig
		want.UpdatedAt = got.UpdatedAt
		sameClient(t, got, &want)
	})

	each(t, "OKOwnEmailOtherCase", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "john@example.com"))
		got, err := s.UpdateClient(ctx, "client_a", switchboard.ClientUpdate{
			Meta: switchboard.ClientMetaUpdate{Email: ptr("John@Example.COM")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := got.Meta.Email, "John@Example.COM"; got != want {
			t.Errorf("Email = %q, want %q", got, want)
		}
	})

	each(t, "OKEmailFreedForOthers", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "john@example.com"))
		if _, err := s.UpdateClient(ctx, "client_a", switchboard.ClientUpdate{
			Meta: switchboard.ClientMetaUpdate{Email: ptr("johnny@example.com")},
		}); err != nil {
			t.Fatal(err)
		}
		mustCreate(t, s, newClient("client_b", "JOHN@example.com"))
		err := s.CreateClient(ctx, newClient("client_c", "Johnny@Example.com"))
		checkErr(t, err, switchboard.ECONFLICT, msgConflict, `clientMeta.email "Johnny@Example.com" is already used by another client`)
	})

	each(t, "OKSearchFollowsUpdate", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "john@example.com"))
		if _, err := s.UpdateClient(ctx, "client_a", switchboard.ClientUpdate{
			Meta: switchboard.ClientMetaUpdate{FullName: ptr("Zéphyrin"), BusinessName: ptr("")},
		}); err != nil {
			t.Fatal(err)
		}
		for search, want := range map[string]int{"zéphyrin": 1, "Name of": 0, "business of": 0, "john@": 1} {
			_, total, err := s.FindClients(ctx, switchboard.ClientFilter{Search: search})
			if err != nil {
				t.Fatal(err)
			}
			if got := total; got != want {
				t.Errorf("FindClients(Search: %q) total = %d, want %d", search, got, want)
			}
		}
	})

	each(t, "ErrConflictEmailCase", func(t *testing.T, s *store.Store) {
		a := mustCreate(t, s, newClient("client_a", "john@example.com"))
		b := mustCreate(t, s, newClient("client_b", "jane@example.com"))
		got, err := s.UpdateClient(ctx, "client_b", switchboard.ClientUpdate{
			Meta: switchboard.ClientMetaUpdate{Email: ptr("JOHN@Example.com"), FullName: ptr("Changed")},
		})
		checkErr(t, err, switchboard.ECONFLICT, msgConflict, `clientMeta.email "JOHN@Example.com" is already used by another client`)
		if got != nil {
			t.Errorf("UpdateClient = %+v, want nil on error", got)
		}
		sameClient(t, mustFind(t, s, "client_a"), a)
		sameClient(t, mustFind(t, s, "client_b"), b)
	})

	each(t, "ErrNotFound", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "john@example.com"))
		got, err := s.UpdateClient(ctx, "client_x", switchboard.ClientUpdate{Status: ptr(switchboard.StatusInactive)})
		checkErr(t, err, switchboard.ENOTFOUND, msgNotFound, "")
		if got != nil {
			t.Errorf("UpdateClient = %+v, want nil", got)
		}
	})

	invalid := []struct {
		name    string
		upd     switchboard.ClientUpdate
		wantMsg string
	}{
		{"ErrInvalidPhone", switchboard.ClientUpdate{
			Meta: switchboard.ClientMetaUpdate{Phone: ptr("555-1234"), FullName: ptr("Changed")},
		}, switchboard.MsgInvalidPhone},
		{"ErrInvalidEmptyFullName", switchboard.ClientUpdate{
			Meta: switchboard.ClientMetaUpdate{FullName: ptr(" ")}, Status: ptr(switchboard.StatusInactive),
		}, "clientMeta.fullName is required"},
		{"ErrInvalidStatus", switchboard.ClientUpdate{
			Status: ptr(switchboard.Status("Gone")), AgentID: ptr("agent_new"),
		}, switchboard.MsgInvalidStatus},
		{"ErrInvalidNUL", switchboard.ClientUpdate{
			Meta: switchboard.ClientMetaUpdate{BusinessName: ptr("Acme\x00")}, AgentID: ptr("agent_new"),
		}, "clientMeta.businessName contains a control character"},
	}
	for _, tt := range invalid {
		each(t, tt.name, func(t *testing.T, s *store.Store) {
			orig := mustCreate(t, s, newClient("client_a", "john@example.com"))
			got, err := s.UpdateClient(ctx, "client_a", tt.upd)
			checkErr(t, err, switchboard.EINVALID, tt.wantMsg, "")
			if got != nil {
				t.Errorf("UpdateClient = %+v, want nil", got)
			}
			sameClient(t, mustFind(t, s, "client_a"), orig)
		})
	}
}

func TestClientService_SetClientSecretHash(t *testing.T) {
	ctx := context.Background()

	each(t, "OK", func(t *testing.T, s *store.Store) {
		orig := mustCreate(t, s, newClient("client_a", "john@example.com"))
		other := mustCreate(t, s, newClient("client_b", "jane@example.com"))
		future := time.Now().Add(time.Hour)
		for _, tok := range []switchboard.RevokedToken{
			{ID: "jti_a1", ClientID: "client_a", ExpiresAt: future},
			{ID: "jti_a2", ClientID: "client_a"},
			{ID: "jti_b1", ClientID: "client_b"},
		} {
			if _, err := s.RevokeToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		if _, revoked, err := s.FindTokenClient(ctx, "client_a", "jti_a1"); err != nil || !revoked {
			t.Fatalf("FindTokenClient before reset = revoked %v, %v; want true, nil", revoked, err)
		}

		got, err := s.SetClientSecretHash(ctx, "client_a", "new-hash")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := got.TokenVersion, orig.TokenVersion+1; got != want {
			t.Errorf("TokenVersion = %d, want %d", got, want)
		}
		if got, want := got.SecretHash, "new-hash"; got != want {
			t.Errorf("SecretHash = %q, want %q", got, want)
		}
		if got.UpdatedAt.Before(orig.UpdatedAt) {
			t.Errorf("UpdatedAt = %v, want not before %v", got.UpdatedAt, orig.UpdatedAt)
		}
		want := *orig
		want.SecretHash, want.TokenVersion, want.UpdatedAt = "new-hash", orig.TokenVersion+1, got.UpdatedAt
		sameClient(t, got, &want)
		sameClient(t, mustFind(t, s, "client_a"), &want)
		sameClient(t, mustFind(t, s, "client_b"), other)

		// The client's revocations are gone (its old tokens die by version);
		// other clients' stay.
		for jti, want := range map[string]bool{"jti_a1": false, "jti_a2": false, "jti_b1": true} {
			if got, err := s.IsTokenRevoked(ctx, jti); err != nil || got != want {
				t.Errorf("IsTokenRevoked(%q) = %v, %v; want %v", jti, got, err, want)
			}
		}
		c, revoked, err := s.FindTokenClient(ctx, "client_a", "jti_a1")
		if err != nil {
			t.Fatal(err)
		}
		if revoked {
			t.Error("FindTokenClient after reset: revoked = true, want false")
		}
		if got, want := c.TokenVersion, orig.TokenVersion+1; got != want {
			t.Errorf("FindTokenClient TokenVersion = %d, want %d", got, want)
		}

		got, err = s.SetClientSecretHash(ctx, "client_a", "newer-hash")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := got.TokenVersion, orig.TokenVersion+2; got != want {
			t.Errorf("TokenVersion after a second reset = %d, want %d", got, want)
		}
	})

	each(t, "ErrNotFound", func(t *testing.T, s *store.Store) {
		orig := mustCreate(t, s, newClient("client_a", "john@example.com"))
		got, err := s.SetClientSecretHash(ctx, "client_x", "hash")
		checkErr(t, err, switchboard.ENOTFOUND, msgNotFound, "")
		if got != nil {
			t.Errorf("SetClientSecretHash = %+v, want nil", got)
		}
		if got, want := mustFind(t, s, "client_a").TokenVersion, orig.TokenVersion; got != want {
			t.Errorf("other client's TokenVersion = %d, want %d", got, want)
		}
	})
}

func TestClientService_RevokeClientTokens(t *testing.T) {
	ctx := context.Background()

	each(t, "OK", func(t *testing.T, s *store.Store) {
		orig := mustCreate(t, s, newClient("client_a", "john@example.com"))
		other := mustCreate(t, s, newClient("client_b", "jane@example.com"))
		for _, tok := range []switchboard.RevokedToken{
			{ID: "jti_a1", ClientID: "client_a"},
			{ID: "jti_b1", ClientID: "client_b"},
		} {
			if _, err := s.RevokeToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}

		got, err := s.RevokeClientTokens(ctx, "client_a")
		if err != nil {
			t.Fatal(err)
		}
		// The version is raised and the secret is kept.
		want := *orig
		want.TokenVersion, want.UpdatedAt = orig.TokenVersion+1, got.UpdatedAt
		sameClient(t, got, &want)
		sameClient(t, mustFind(t, s, "client_a"), &want)
		sameClient(t, mustFind(t, s, "client_b"), other)
		for jti, want := range map[string]bool{"jti_a1": false, "jti_b1": true} {
			if got, err := s.IsTokenRevoked(ctx, jti); err != nil || got != want {
				t.Errorf("IsTokenRevoked(%q) = %v, %v; want %v", jti, got, err, want)
			}
		}
	})

	each(t, "ErrNotFound", func(t *testing.T, s *store.Store) {
		orig := mustCreate(t, s, newClient("client_a", "john@example.com"))
		got, err := s.RevokeClientTokens(ctx, "client_x")
		checkErr(t, err, switchboard.ENOTFOUND, msgNotFound, "")
		if got != nil {
			t.Errorf("RevokeClientTokens = %+v, want nil", got)
		}
		if got, want := mustFind(t, s, "client_a").TokenVersion, orig.TokenVersion; got != want {
			t.Errorf("other client's TokenVersion = %d, want %d", got, want)
		}
	})
}

func TestClientService_FindTokenClient(t *testing.T) {
	ctx := context.Background()

	each(t, "OK", func(t *testing.T, s *store.Store) {
		orig := mustCreate(t, s, newClient("client_a", "john@example.com"))
		mustCreate(t, s, newClient("client_b", "jane@example.com"))
		if _, err := s.RevokeToken(ctx, switchboard.RevokedToken{ID: "jti_1", ClientID: "client_a"}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			client, jti string
			want        bool
		}{
			{"client_a", "jti_1", true},
			{"client_a", "jti_2", false},
			{"client_a", "", false},
			{"client_b", "jti_2", false},
		}
		for _, tt := range tests {
			c, revoked, err := s.FindTokenClient(ctx, tt.client, tt.jti)
			if err != nil {
				t.Fatalf("FindTokenClient(%q, %q): %v", tt.client, tt.jti, err)
			}
			if got, want := revoked, tt.want; got != want {
				t.Errorf("FindTokenClient(%q, %q) revoked = %v, want %v", tt.client, tt.jti, got, want)
			}
			if got, want := c.ID, tt.client; got != want {
				t.Errorf("FindTokenClient(%q, %q) client = %q, want %q", tt.client, tt.jti, got, want)
			}
		}
		c, _, err := s.FindTokenClient(ctx, "client_a", "jti_2")
		if err != nil {
			t.Fatal(err)
		}
		sameClient(t, c, orig)
	})

	each(t, "ErrNotFound", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "john@example.com"))
		if _, err := s.RevokeToken(ctx, switchboard.RevokedToken{ID: "jti_1", ClientID: "client_a"}); err != nil {
			t.Fatal(err)
		}
		c, revoked, err := s.FindTokenClient(ctx, "client_x", "jti_1")
		checkErr(t, err, switchboard.ENOTFOUND, msgNotFound, "")
		if c != nil || revoked {
			t.Errorf("FindTokenClient = %+v, %v; want nil, false", c, revoked)
		}
	})
}

func TestClientService_DeleteClient(t *testing.T) {
	ctx := context.Background()

	each(t, "OK", func(t *testing.T, s *store.Store) {
		deleted := mustCreate(t, s, newClient("client_a", "john@example.com"))
		other := mustCreate(t, s, newClient("client_b", "jane@example.com"))
		for _, tok := range []switchboard.RevokedToken{
			{ID: "jti_a", ClientID: "client_a"},
			{ID: "jti_b", ClientID: "client_b"},
			{ID: "jti_admin"},
		} {
			if _, err := s.RevokeToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DeleteClient(ctx, "client_a"); err != nil {
			t.Fatal(err)
		}
		_, err := s.FindClientByID(ctx, "client_a")
		checkErr(t, err, switchboard.ENOTFOUND, msgNotFound, "")
		sameClient(t, mustFind(t, s, "client_b"), other)
		for jti, want := range map[string]bool{"jti_a": false, "jti_b": true, "jti_admin": true} {
			if got, err := s.IsTokenRevoked(ctx, jti); err != nil || got != want {
				t.Errorf("IsTokenRevoked(%q) = %v, %v; want %v", jti, got, err, want)
			}
		}

		// Deleting again is ENOTFOUND; the id and email are free again.
		checkErr(t, s.DeleteClient(ctx, "client_a"), switchboard.ENOTFOUND, msgNotFound, "")
		// A client reusing the id does not inherit the deleted one's version,
		// so the deleted client's tokens cannot pass for its tokens.
		c := mustCreate(t, s, newClient("client_a", "JOHN@example.com"))
		checkFirstVersion(t, c.TokenVersion)
		if c.TokenVersion == deleted.TokenVersion {
			t.Errorf("recreated TokenVersion = %d, the deleted client's", c.TokenVersion)
		}
	})

	each(t, "ErrNotFound", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "john@example.com"))
		checkErr(t, s.DeleteClient(ctx, "client_x"), switchboard.ENOTFOUND, msgNotFound, "")
		if got, want := count(t, s), 1; got != want {
			t.Errorf("clients stored = %d, want %d", got, want)
		}
	})
}

func TestTokenService_RevokeToken(t *testing.T) {
	ctx := context.Background()

	each(t, "OKTwice", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "john@example.com"))
		tok := switchboard.RevokedToken{ID: "jti_1", ClientID: "client_a", ExpiresAt: time.Now().Add(time.Hour)}
		for i := range 2 {
			if _, err := s.RevokeToken(ctx, tok); err != nil {
				t.Fatalf("RevokeToken #%d: %v", i+1, err)
			}
		}
		for jti, want := range map[string]bool{"jti_1": true, "jti_2": false, "": false} {
			if got, err := s.IsTokenRevoked(ctx, jti); err != nil || got != want {
				t.Errorf("IsTokenRevoked(%q) = %v, %v; want %v", jti, got, err, want)
			}
		}
	})

	each(t, "OKAdminToken", func(t *testing.T, s *store.Store) {
		if _, err := s.RevokeToken(ctx, switchboard.RevokedToken{ID: "jti_admin", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.IsTokenRevoked(ctx, "jti_admin"); err != nil || !got {
			t.Errorf("IsTokenRevoked(jti_admin) = %v, %v; want true", got, err)
		}
	})

	each(t, "OKPurgesExpired", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "john@example.com"))
		soon := time.Now().Add(200 * time.Millisecond)
		for _, tok := range []switchboard.RevokedToken{
			{ID: "jti_soon", ClientID: "client_a", ExpiresAt: soon},
			{ID: "jti_never", ClientID: "client_a"},
			{ID: "jti_later", ClientID: "client_a", ExpiresAt: time.Now().Add(time.Hour)},
		} {
			if _, err := s.RevokeToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := s.IsTokenRevoked(ctx, "jti_soon"); err != nil || !got {
			t.Fatalf("IsTokenRevoked(jti_soon) before expiry = %v, %v; want true", got, err)
		}
		time.Sleep(time.Until(soon) + 50*time.Millisecond)
		if _, err := s.RevokeToken(ctx, switchboard.RevokedToken{ID: "jti_new", ClientID: "client_a"}); err != nil {
			t.Fatal(err)
		}
		for jti, want := range map[string]bool{"jti_soon": false, "jti_never": true, "jti_later": true, "jti_new": true} {
			if got, err := s.IsTokenRevoked(ctx, jti); err != nil || got != want {
				t.Errorf("IsTokenRevoked(%q) = %v, %v; want %v", jti, got, err, want)
			}
		}
	})

	each(t, "OKAlreadyExpired", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "john@example.com"))
		past := switchboard.RevokedToken{ID: "jti_past", ClientID: "client_a", ExpiresAt: time.Now().Add(-time.Minute)}
		if _, err := s.RevokeToken(ctx, past); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RevokeToken(ctx, switchboard.RevokedToken{ID: "jti_other", ClientID: "client_a"}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.IsTokenRevoked(ctx, "jti_past"); err != nil || got {
			t.Errorf("IsTokenRevoked(jti_past) = %v, %v; want false (expired rows are purged)", got, err)
		}
	})
}

func TestStore_Setting(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		steps := []struct{ key, value, want string }{
			{"server_secret", "first", "first"},
			{"server_secret", "second", "first"},
			{"other", "x", "x"},
			{"server_secret", "", "first"},
		}
		for _, st := range steps {
			got, err := s.Setting(ctx, st.key, st.value)
			if err != nil {
				t.Fatalf("Setting(%q, %q): %v", st.key, st.value, err)
			}
			if got != st.want {
				t.Errorf("Setting(%q, %q) = %q, want %q", st.key, st.value, got, st.want)
			}
		}
	})
}

func TestStore_Migrate(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := mustCreate(t, s, newClient("client_a", "john@example.com"))
		for i := range 2 {
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("Migrate #%d: %v", i+1, err)
			}
		}
		sameClient(t, mustFind(t, s, "client_a"), c)
		if got, want := s.Dialect(), t.Name()[strings.LastIndexByte(t.Name(), '/')+1:]; got != want {
			t.Errorf("Dialect() = %q, want %q", got, want)
		}
		if err := s.Ping(ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})
}

func TestAdminService(t *testing.T) {
	ctx := context.Background()

	each(t, "OK", func(t *testing.T, s *store.Store) {
		if n, err := s.CountAdmins(ctx); err != nil || n != 0 {
			t.Fatalf("CountAdmins on an empty store = %d, %v; want 0", n, err)
		}
		before := time.Now().UTC().Truncate(time.Millisecond)
		a := &switchboard.Admin{Username: "root", PasswordHash: "hash-1"}
		if err := s.CreateAdmin(ctx, a); err != nil {
			t.Fatal(err)
		}
		if a.CreatedAt.Before(before) || a.CreatedAt.After(time.Now()) {
			t.Errorf("CreatedAt = %v, want about now", a.CreatedAt)
		}
		if err := s.CreateAdmin(ctx, &switchboard.Admin{Username: "ops", PasswordHash: "hash-2"}); err != nil {
			t.Fatal(err)
		}
		if n, err := s.CountAdmins(ctx); err != nil || n != 2 {
			t.Errorf("CountAdmins = %d, %v; want 2", n, err)
		}

		got, err := s.FindAdminByUsername(ctx, "root")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := got.PasswordHash, "hash-1"; got != want {
			t.Errorf("PasswordHash = %q, want %q", got, want)
		}
		if got, want := got.Username, "root"; got != want {
			t.Errorf("Username = %q, want %q", got, want)
		}
		if !got.CreatedAt.Equal(a.CreatedAt) || got.CreatedAt.Location() != time.UTC {
			t.Errorf("CreatedAt = %v, want %v in UTC", got.CreatedAt, a.CreatedAt)
		}

		if err := s.SetAdminPasswordHash(ctx, "root", "hash-3"); err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]string{"root": "hash-3", "ops": "hash-2"} {
			got, err := s.FindAdminByUsername(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if got.PasswordHash != want {
				t.Errorf("%s PasswordHash = %q, want %q", name, got.PasswordHash, want)
			}
		}
	})

	each(t, "ErrConflict", func(t *testing.T, s *store.Store) {
		if err := s.CreateAdmin(ctx, &switchboard.Admin{Username: "root", PasswordHash: "hash-1"}); err != nil {
			t.Fatal(err)
		}
		err := s.CreateAdmin(ctx, &switchboard.Admin{Username: "root", PasswordHash: "hash-2"})
		checkErr(t, err, switchboard.ECONFLICT, `Admin "root" already exists`, "")
		if n, err := s.CountAdmins(ctx); err != nil || n != 1 {
			t.Errorf("CountAdmins = %d, %v; want 1", n, err)
		}
		got, err := s.FindAdminByUsername(ctx, "root")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := got.PasswordHash, "hash-1"; got != want {
			t.Errorf("PasswordHash = %q, want %q (unchanged)", got, want)
		}
	})

	each(t, "ErrNotFound", func(t *testing.T, s *store.Store) {
		if err := s.CreateAdmin(ctx, &switchboard.Admin{Username: "root", PasswordHash: "hash-1"}); err != nil {
			t.Fatal(err)
		}
		a, err := s.FindAdminByUsername(ctx, "nobody")
		checkErr(t, err, switchboard.ENOTFOUND, "Admin not found", "")
		if a != nil {
			t.Errorf("FindAdminByUsername = %+v, want nil", a)
		}
		checkErr(t, s.SetAdminPasswordHash(ctx, "nobody", "x"), switchboard.ENOTFOUND, "Admin not found", "")
	})
}

func TestParseURL(t *testing.T) {
	// sqliteParams are the settings the store adds to every SQLite DSN.
	sqliteParams := map[string]string{
		"_journal_mode": "WAL", "_foreign_keys": "on", "_busy_timeout": "10000", "_txlock": "immediate", "_synchronous": "FULL",
	}
	tests := []struct {
		name        string
		raw         string
		wantDialect string
		wantDSN     string            // exact, for PostgreSQL
		wantPath    string            // the file, for SQLite
		wantParams  map[string]string // user params kept, for SQLite
	}{
		{"Default", "", store.SQLite, "", "data/switchboard.db", nil},
		{"Postgres", "postgres://u:p@db:5432/app?sslmode=disable", store.Postgres, "postgres://u:p@db:5432/app?sslmode=disable", "", nil},
		{"Postgresql", "postgresql://u@db/app", store.Postgres, "postgresql://u@db/app", "", nil},
		{"PostgresUpperCase", "POSTGRES://u@db/app", store.Postgres, "postgres://u@db/app", "", nil},
		{"SQLiteScheme", "sqlite://x.db", store.SQLite, "", "x.db", nil},
		{"SQLiteSchemeAbsolute", "sqlite:///var/lib/app/x.db", store.SQLite, "", "/var/lib/app/x.db", nil},
		{"FileScheme", "file:x.db?cache=shared", store.SQLite, "", "x.db", map[string]string{"cache": "shared"}},
		{"Path", "x.db", store.SQLite, "", "x.db", nil},
		{"PathWithFolder", "data/dir/x.db", store.SQLite, "", "data/dir/x.db", nil},
		{"PathWithParams", "x.db?cache=shared&mode=rwc", store.SQLite, "", "x.db", map[string]string{"cache": "shared", "mode": "rwc"}},
		{"UserBusyTimeoutKept", "sqlite://x.db?_busy_timeout=500", store.SQLite, "", "x.db", map[string]string{"_busy_timeout": "500"}},
		{"Memory", ":memory:", store.SQLite, "", ":memory:", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dialect, dsn, err := store.ParseURL(tt.raw)
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", tt.raw, err)
			}
			if got, want := dialect, tt.wantDialect; got != want {
				t.Errorf("dialect = %q, want %q", got, want)
			}
			if tt.wantDialect == store.Postgres {
				if got, want := dsn, tt.wantDSN; got != want {
					t.Errorf("dsn = %q, want %q", got, want)
				}
				return
			}
			path, rawQuery, ok := strings.Cut(dsn, "?")
			if !ok {
				t.Fatalf("dsn = %q, want parameters", dsn)
			}
			if got, want := path, "file:"+tt.wantPath; got != want {
				t.Errorf("dsn file = %q, want %q (dsn %q)", got, want, dsn)
			}
			q, err := url.ParseQuery(rawQuery)
			if err != nil {
				t.Fatalf("dsn query %q: %v", rawQuery, err)
			}
			want := map[string]string{}
			for k, v := range sqliteParams {
				want[k] = v
			}
			for k, v := range tt.wantParams {
				want[k] = v
			}
			got := map[string]string{}
			for k, vs := range q {
				if len(vs) != 1 {
					t.Errorf("dsn parameter %s = %q, want one value", k, vs)
				}
				got[k] = vs[0]
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("dsn parameters = %v, want %v (dsn %q)", got, want, dsn)
			}
		})
	}

	errs := []struct{ name, raw string }{
		{"ErrSQLiteSchemeEmpty", "sqlite://"},
		{"ErrFileSchemeEmpty", "file:"},
		{"ErrOnlyParams", "?cache=shared"},
		{"ErrSQLiteSchemeOnlyParams", "sqlite://?cache=shared"},
		{"ErrMalformedQuery", "x.db?a=%zz"},
		{"ErrMalformedPostgres", "postgres://u@db:bad port/app"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			dialect, dsn, err := store.ParseURL(tt.raw)
			if err == nil {
				t.Errorf("ParseURL(%q) = %q, %q; want an error", tt.raw, dialect, dsn)
			}
		})
	}
}

func TestStore_OpenCreatesFolder(t *testing.T) {
	path := t.TempDir() + "/a/b/x.db"
	s, err := store.Open(context.Background(), "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := s.Dialect(), store.SQLite; got != want {
		t.Errorf("Dialect() = %q, want %q", got, want)
	}
}

// TestMigrations_SearchAndNameKeys: the clients stored before search
// matched clientIds and phone numbers (00013) and before the name order
// (00014) get the keys the code writes now, on both databases, names beyond
// ASCII included.
func TestMigrations_SearchAndNameKeys(t *testing.T) {
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s, err := store.Open(ctx, storetest.URL(t, dialect))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			s.MigrateTo(t, 11) // the last before these
			c := newClient("Client_EA.1", "Emile@Zola.fr")
			c.Meta.FullName, c.Meta.BusinessName = "ÉMILE Zola", "Librairie ÅNGSTRÖM"
			c.Meta.Phone, c.TwilioPhoneNumber = "+33612345678", "+18005550199"
			s.InsertOldClient(t, c)
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			stored := mustFind(t, s, c.ID)
			search, name := s.Keys(t, c.ID)
			if want := store.SearchKeyOf(stored); search != want {
				t.Errorf("migrated search key = %q, want %q", search, want)
			}
			if want := switchboard.NameKey(c.Meta.FullName); name != want {
				t.Errorf("migrated name key = %q, want %q", name, want)
			}
			for _, search := range []string{"client_ea", "+33 6 12 34 56 78", "8005550199", "ångström"} {
				if cs, _, err := s.FindClients(ctx, switchboard.ClientFilter{Search: search}); err != nil || len(cs) != 1 {
					t.Errorf("search %q after the migration = %d clients, %v; want 1", search, len(cs), err)
				}
			}
		})
	}
}
