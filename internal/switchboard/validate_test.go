package switchboard_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"switchboard/internal/switchboard"
)

// validClient returns a client that passes Validate, to be spoiled one field
// at a time by the tables below.
func validClient() switchboard.Client {
	return switchboard.Client{
		ID:                "client_unique_id",
		Status:            switchboard.StatusActive,
		AgentID:           "agent_id_here",
		TwilioPhoneNumber: "+18001234567",
		Meta: switchboard.ClientMeta{
			FullName:     "John Doe",
			Email:        "john@example.com",
			Phone:        "+12125551234",
			BusinessName: "Acme Corp",
			City:         "New York",
			JobTitle:     "CEO",
			Notes:        "Prefers morning calls",
		},
	}
}

// asError returns err's *switchboard.Error, failing the test when it has none.
func asError(t *testing.T, err error) *switchboard.Error {
	t.Helper()
	var e *switchboard.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want a *switchboard.Error", err, err)
	}
	return e
}

// checkFields asserts that err is nil when want is nil, and otherwise an
// EINVALID error whose Message is wantMsg and whose Fields equal want.
func checkFields(t *testing.T, err error, wantMsg string, want map[string]string) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("error = %v, want nil", err)
		}
		return
	}
	e := asError(t, err)
	if got, want := e.Code, switchboard.EINVALID; got != want {
		t.Errorf("Code = %q, want %q", got, want)
	}
	if got := e.Message; got != wantMsg {
		t.Errorf("Message = %q, want %q", got, wantMsg)
	}
	if got := e.Fields; !reflect.DeepEqual(got, want) {
		t.Errorf("Fields = %q, want %q", got, want)
	}
}

// fieldsOf returns the Fields of err's *switchboard.Error, nil for nil.
func fieldsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	if err == nil {
		return nil
	}
	return asError(t, err).Fields
}

const (
	msgControl = " contains a control character"
)

func TestClient_Normalize(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		c := switchboard.Client{
			ID: " client_a\t", AgentID: "\nagent ", TwilioPhoneNumber: " +18001234567 ",
			Meta: switchboard.ClientMeta{
				FullName: "  John Doe ", Email: " john@example.com\n", Phone: "\t+12125551234",
				BusinessName: " Acme ", City: " NYC ", JobTitle: " CEO ", Notes: "\n line one\nline two \n",
			},
		}
		c.Normalize()
		want := switchboard.Client{
			ID: "client_a", Status: switchboard.StatusActive, AgentID: "agent", TwilioPhoneNumber: "+18001234567",
			Meta: switchboard.ClientMeta{
				FullName: "John Doe", Email: "john@example.com", Phone: "+12125551234",
				BusinessName: "Acme", City: "NYC", JobTitle: "CEO", Notes: "line one\nline two",
			},
		}
		if !reflect.DeepEqual(c, want) {
			t.Errorf("Normalize() =\n%+v, want\n%+v", c, want)
		}
	})
	t.Run("OKKeepsStatus", func(t *testing.T) {
		for _, status := range []switchboard.Status{switchboard.StatusInactive, switchboard.StatusSuspended, "bogus"} {
			c := validClient()
			c.Status = status
			c.Normalize()
			if got, want := c.Status, status; got != want {
				t.Errorf("Status after Normalize = %q, want %q", got, want)
			}
		}
	})
}

func TestClient_Validate(t *testing.T) {
	const missingInfo = "Missing required client information"
	const missingAgent = "Missing required eleven labs outbound agent ID"
	const missingTwilio = "Missing required Twilio phone number"
	wantRequired := []string{"clientMeta.fullName", "clientMeta.email", "clientMeta.phone"}

	// Order of the "missing" errors: contact fields, then the agent, then
	// the Twilio number, then formats.
	missing := []struct {
		name         string
		edit         func(c *switchboard.Client)
		wantMsg      string
		wantRequired []string
	}{
		{"ErrMissingFullName", func(c *switchboard.Client) { c.Meta.FullName = "" }, missingInfo, wantRequired},
		{"ErrMissingEmail", func(c *switchboard.Client) { c.Meta.Email = "" }, missingInfo, wantRequired},
		{"ErrMissingPhone", func(c *switchboard.Client) { c.Meta.Phone = "" }, missingInfo, wantRequired},
		{"ErrMissingFullNameBlank", func(c *switchboard.Client) { c.Meta.FullName = "   \t" }, missingInfo, wantRequired},
		{"ErrMissingAllContact", func(c *switchboard.Client) { c.Meta = switchboard.ClientMeta{} }, missingInfo, wantRequired},
		{"ErrMissingContactBeforeAgent", func(c *switchboard.Client) {
			c.Meta.Phone, c.AgentID, c.TwilioPhoneNumber = "", "", ""
		}, missingInfo, wantRequired},
		{"ErrMissingContactBeforeFormat", func(c *switchboard.Client) {
			c.Meta.Email, c.Meta.Phone, c.ID = "", "bad", "!"
		}, missingInfo, wantRequired},
		{"ErrMissingAgent", func(c *switchboard.Client) { c.AgentID = "" }, missingAgent, nil},
		{"ErrMissingAgentBlank", func(c *switchboard.Client) { c.AgentID = "  " }, missingAgent, nil},
		{"ErrMissingAgentBeforeTwilio", func(c *switchboard.Client) { c.AgentID, c.TwilioPhoneNumber = "", "" }, missingAgent, nil},
		{"ErrMissingAgentBeforeFormat", func(c *switchboard.Client) { c.AgentID, c.Meta.Email = "", "bad" }, missingAgent, nil},
		{"ErrMissingTwilio", func(c *switchboard.Client) { c.TwilioPhoneNumber = "" }, missingTwilio, nil},
		{"ErrMissingTwilioBeforeFormat", func(c *switchboard.Client) {
			c.TwilioPhoneNumber, c.Meta.Phone, c.Status = " ", "123", "bogus"
		}, missingTwilio, nil},
	}
	for _, tt := range missing {
		t.Run(tt.name, func(t *testing.T) {
			c := validClient()
			tt.edit(&c)
			c.Normalize()
			e := asError(t, c.Validate())
			if got, want := e.Code, switchboard.EINVALID; got != want {
				t.Errorf("Code = %q, want %q", got, want)
			}
			if got, want := e.Message, tt.wantMsg; got != want {
				t.Errorf("Message = %q, want %q", got, want)
			}
			if got, want := e.RequiredFields, tt.wantRequired; !reflect.DeepEqual(got, want) {
				t.Errorf("RequiredFields = %q, want %q", got, want)
			}
			if e.Fields != nil {
				t.Errorf("Fields = %q, want none on a missing-field error", e.Fields)
			}
		})
	}

	// Format errors: Fields keyed by JSON name, Message the first problem in
	// the order clientId, clientMeta.*, agentId, twilioPhoneNumber, status.
	formats := []struct {
		name    string
		edit    func(c *switchboard.Client)
		wantMsg string
		want    map[string]string
	}{
		{"OK", func(c *switchboard.Client) {}, "", nil},
		{"OKOptionalFieldsEmpty", func(c *switchboard.Client) {
			c.Meta.BusinessName, c.Meta.City, c.Meta.JobTitle, c.Meta.Notes = "", "", "", ""
		}, "", nil},
		{"OKStatusDefaultsToActive", func(c *switchboard.Client) { c.Status = "" }, "", nil},
		{"OKStatusInactive", func(c *switchboard.Client) { c.Status = switchboard.StatusInactive }, "", nil},
		{"OKStatusSuspended", func(c *switchboard.Client) { c.Status = switchboard.StatusSuspended }, "", nil},
		{"ErrInvalidTwilio", func(c *switchboard.Client) { c.TwilioPhoneNumber = "18001234567" },
			switchboard.MsgInvalidPhone, map[string]string{"twilioPhoneNumber": switchboard.MsgInvalidPhone}},
		{"ErrInvalidPhone", func(c *switchboard.Client) { c.Meta.Phone = "212-555-1234" },
			switchboard.MsgInvalidPhone, map[string]string{"clientMeta.phone": switchboard.MsgInvalidPhone}},
		{"ErrInvalidEmail", func(c *switchboard.Client) { c.Meta.Email = "john.example.com" },
			switchboard.MsgInvalidEmail, map[string]string{"clientMeta.email": switchboard.MsgInvalidEmail}},
		{"ErrInvalidClientID", func(c *switchboard.Client) { c.ID = "client id" },
			switchboard.MsgInvalidClientID, map[string]string{"clientId": switchboard.MsgInvalidClientID}},
		{"ErrInvalidClientIDEmpty", func(c *switchboard.Client) { c.ID = "" },
			switchboard.MsgInvalidClientID, map[string]string{"clientId": switchboard.MsgInvalidClientID}},
		// "new" is the console's address for creating a client, in any
		// letter case (routes ignore it).
		{"ErrReservedClientIDNew", func(c *switchboard.Client) { c.ID = "new" },
			switchboard.MsgReservedClientID, map[string]string{"clientId": switchboard.MsgReservedClientID}},
		{"ErrReservedClientIDNEW", func(c *switchboard.Client) { c.ID = "NEW" },
			switchboard.MsgReservedClientID, map[string]string{"clientId": switchboard.MsgReservedClientID}},
		{"ErrReservedClientIDMixedCase", func(c *switchboard.Client) { c.ID = "nEw" },
			switchboard.MsgReservedClientID, map[string]string{"clientId": switchboard.MsgReservedClientID}},
		{"ErrReservedClientIDTrimmed", func(c *switchboard.Client) { c.ID = " New\t" },
			switchboard.MsgReservedClientID, map[string]string{"clientId": switchboard.MsgReservedClientID}},
		{"ErrReservedClientIDWithOthers", func(c *switchboard.Client) { c.ID, c.Meta.Email = "new", "bad" },
			switchboard.MsgReservedClientID, map[string]string{
				"clientId":         switchboard.MsgReservedClientID,
				"clientMeta.email": switchboard.MsgInvalidEmail,
			}},
		{"OKClientIDHoldsNew", func(c *switchboard.Client) { c.ID = "news" }, "", nil},
		{"OKClientIDStartsWithNew", func(c *switchboard.Client) { c.ID = "new_client" }, "", nil},
		{"OKClientIDEndsWithNew", func(c *switchboard.Client) { c.ID = "renew" }, "", nil},
		{"OKClientIDNewDotted", func(c *switchboard.Client) { c.ID = "new.1" }, "", nil},
		{"ErrInvalidAgentID", func(c *switchboard.Client) { c.AgentID = "agent id" },
			switchboard.MsgInvalidAgentID, map[string]string{"agentId": switchboard.MsgInvalidAgentID}},
		{"ErrInvalidStatus", func(c *switchboard.Client) { c.Status = "Deleted" },
			switchboard.MsgInvalidStatus, map[string]string{"status": switchboard.MsgInvalidStatus}},
		{"ErrInvalidStatusLowerCase", func(c *switchboard.Client) { c.Status = "active" },
			switchboard.MsgInvalidStatus, map[string]string{"status": switchboard.MsgInvalidStatus}},
		{"ErrInvalidSeveralFirstHeadlines", func(c *switchboard.Client) {
			c.Status, c.TwilioPhoneNumber, c.Meta.Email, c.Meta.City = "x", "+0", "bad", "a\x00b"
		}, switchboard.MsgInvalidEmail, map[string]string{
			"clientMeta.email":  switchboard.MsgInvalidEmail,
			"clientMeta.city":   "clientMeta.city" + msgControl,
			"twilioPhoneNumber": switchboard.MsgInvalidPhone,
			"status":            switchboard.MsgInvalidStatus,
		}},
		{"ErrInvalidClientIDHeadlinesAll", func(c *switchboard.Client) {
			c.ID, c.Meta.Phone, c.AgentID = "a", "+1", "a b"
		}, switchboard.MsgInvalidClientID, map[string]string{
			"clientId":         switchboard.MsgInvalidClientID,
			"clientMeta.phone": switchboard.MsgInvalidPhone,
			"agentId":          switchboard.MsgInvalidAgentID,
		}},
	}
	for _, tt := range formats {
		t.Run(tt.name, func(t *testing.T) {
			c := validClient()
			tt.edit(&c)
			c.Normalize()
			checkFields(t, c.Validate(), tt.wantMsg, tt.want)
		})
	}
}

func TestClient_ValidatePhone(t *testing.T) {
	tests := []struct {
		phone string
		ok    bool
	}{
		{"+12125551234", true},
		{"+12", true},                     // shortest: a country digit and one more
		{"+123456789012345", true},        // 15 digits, the E.164 maximum
		{" +12125551234 ", true},          // trimmed by Normalize
		{"\t+12125551234\n", true},        // trimmed by Normalize
		{"+1234567890123456", false},      // 16 digits
		{"+1", false},                     // one digit
		{"+", false},                      // no digits
		{"+02125551234", false},           // leading zero
		{"+0", false},                     // leading zero
		{"12125551234", false},            // no plus
		{"0012125551234", false},          // international prefix instead of plus
		{"++12125551234", false},          // two pluses
		{"+1212555123a", false},           // letter
		{"+1 212 555 1234", false},        // inner spaces
		{"+1-212-555-1234", false},        // dashes
		{"+1(212)5551234", false},         // parentheses
		{"+１２１２５５５１２３４", false},           // full-width digits
		{"+12125551234\x00", false},       // NUL
		{"+1212\n5551234", false},         // inner newline
		{"tel:+12125551234", false},       // URI form
		{"+12125551234 ext. 5", false},    // extension
		{"+12125551234;ext=5", false},     // extension
		{"+١٢١٢٥٥٥١٢٣٤", false},           // Arabic-Indic digits
		{strings.Repeat("+1", 10), false}, // several pluses
	}
	for _, tt := range tests {
		for _, field := range []string{"clientMeta.phone", "twilioPhoneNumber"} {
			t.Run(fmt.Sprintf("%s/%q", field, tt.phone), func(t *testing.T) {
				c := validClient()
				if field == "twilioPhoneNumber" {
					c.TwilioPhoneNumber = tt.phone
				} else {
					c.Meta.Phone = tt.phone
				}
				c.Normalize()
				var want map[string]string
				if !tt.ok {
					want = map[string]string{field: switchboard.MsgInvalidPhone}
				}
				checkFields(t, c.Validate(), switchboard.MsgInvalidPhone, want)
			})
		}
	}
}

func TestClient_ValidateEmail(t *testing.T) {
	// at254 is an address of exactly 254 characters, the longest allowed.
	at254 := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com"
	tests := []struct {
		name  string
		email string
		ok    bool
	}{
		{"OK", "john@example.com", true},
		{"OKSubdomain", "john.doe+calls@mail.example.co.uk", true},
		{"OKUpperCase", "JOHN@Example.COM", true},
		{"OKTrimmed", "  john@example.com  ", true},
		{"OK254Chars", at254, true},
		{"ErrInvalid255Chars", "a" + at254, false},
		{"ErrInvalidDisplayName", "John <j@x.com>", false},
		{"ErrInvalidQuotedDisplayName", `"John Doe" <john@example.com>`, false},
		{"ErrInvalidAngleBrackets", "<john@example.com>", false},
		{"ErrInvalidNoDotInDomain", "john@localhost", false},
		{"ErrInvalidNoAt", "john.example.com", false},
		{"ErrInvalidNoLocalPart", "@example.com", false},
		{"ErrInvalidNoDomain", "john@", false},
		{"ErrInvalidTwoAts", "john@doe@example.com", false},
		{"ErrInvalidInnerSpace", "john doe@example.com", false},
		{"ErrInvalidList", "john@example.com, jane@example.com", false},
		{"ErrInvalidComment", "john@example.com (John)", false},
		{"ErrInvalidNUL", "john\x00@example.com", false},
		{"ErrInvalidNewline", "john@exa\nmple.com", false},
		{"ErrInvalidJustText", "not an email", false},
	}
	if got, want := len(at254), 254; got != want {
		t.Fatalf("len(at254) = %d, want %d", got, want)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validClient()
			c.Meta.Email = tt.email
			c.Normalize()
			var want map[string]string
			if !tt.ok {
				want = map[string]string{"clientMeta.email": switchboard.MsgInvalidEmail}
			}
			checkFields(t, c.Validate(), switchboard.MsgInvalidEmail, want)
		})
	}
}

// setField sets a Client field by its JSON name.
func setField(c *switchboard.Client, field, value string) {
	switch field {
	case "clientId":
		c.ID = value
	case "agentId":
		c.AgentID = value
	case "twilioPhoneNumber":
		c.TwilioPhoneNumber = value
	case "clientMeta.fullName":
		c.Meta.FullName = value
	case "clientMeta.email":
		c.Meta.Email = value
	case "clientMeta.phone":
		c.Meta.Phone = value
	case "clientMeta.businessName":
		c.Meta.BusinessName = value
	case "clientMeta.city":
		c.Meta.City = value
	case "clientMeta.jobTitle":
		c.Meta.JobTitle = value
	case "clientMeta.notes":
		c.Meta.Notes = value
	default:
		panic("unknown field " + field)
	}
}

func TestClient_ValidateControlCharacters(t *testing.T) {
	// The message each field reports for a control character: free text says
	// so, fields with a format report their format.
	fieldMsg := map[string]string{
		"clientId":                switchboard.MsgInvalidClientID,
		"agentId":                 switchboard.MsgInvalidAgentID,
		"twilioPhoneNumber":       switchboard.MsgInvalidPhone,
		"clientMeta.phone":        switchboard.MsgInvalidPhone,
		"clientMeta.email":        switchboard.MsgInvalidEmail,
		"clientMeta.fullName":     "clientMeta.fullName" + msgControl,
		"clientMeta.businessName": "clientMeta.businessName" + msgControl,
		"clientMeta.city":         "clientMeta.city" + msgControl,
		"clientMeta.jobTitle":     "clientMeta.jobTitle" + msgControl,
		"clientMeta.notes":        "clientMeta.notes" + msgControl,
	}
	// Values with a control character inside (Normalize trims the ends).
	base := map[string]string{
		"clientId": "client_%sa", "agentId": "agent_%sa", "twilioPhoneNumber": "+1800%s1234567",
		"clientMeta.phone": "+1212%s5551234", "clientMeta.email": "john%s@example.com",
		"clientMeta.fullName": "John%sDoe", "clientMeta.businessName": "Acme%sCorp",
		"clientMeta.city": "New%sYork", "clientMeta.jobTitle": "C%sEO", "clientMeta.notes": "Call%sme",
	}
	tests := []struct {
		char string
		// allowed lists the fields that accept char.
		allowed map[string]bool
	}{
		{"\x00", nil},
		{"\x1b", nil},
		{"\x7f", nil},
		{"\u0085", nil}, // NEL, a C1 control
		{"\n", map[string]bool{"clientMeta.notes": true}},
		{"\r\n", map[string]bool{"clientMeta.notes": true}},
		{"\t", map[string]bool{"clientMeta.notes": true}},
	}
	for _, tt := range tests {
		for field, format := range base {
			t.Run(fmt.Sprintf("%q/%s", tt.char, field), func(t *testing.T) {
				c := validClient()
				setField(&c, field, fmt.Sprintf(format, tt.char))
				c.Normalize()
				var want map[string]string
				if !tt.allowed[field] {
					want = map[string]string{field: fieldMsg[field]}
				}
				checkFields(t, c.Validate(), fieldMsg[field], want)
			})
		}
	}
	t.Run("OKNotesMultiline", func(t *testing.T) {
		c := validClient()
		c.Meta.Notes = "line one\nline two\r\n\tindented"
		c.Normalize()
		if err := c.Validate(); err != nil {
			t.Fatalf("Validate() = %v, want nil", err)
		}
		if got, want := c.Meta.Notes, "line one\nline two\r\n\tindented"; got != want {
			t.Errorf("Notes = %q, want %q", got, want)
		}
	})
}

func TestClient_ValidateLength(t *testing.T) {
	tests := []struct {
		field string
		max   int
	}{
		{"clientMeta.fullName", 200},
		{"clientMeta.businessName", 200},
		{"clientMeta.city", 100},
		{"clientMeta.jobTitle", 100},
		{"clientMeta.notes", 2000},
	}
	for _, tt := range tests {
		tooLong := fmt.Sprintf("%s is too long (at most %d characters)", tt.field, tt.max)
		for _, r := range []string{"a", "é", "日"} { // lengths count characters, not bytes
			t.Run(fmt.Sprintf("%s/%s", tt.field, r), func(t *testing.T) {
				c := validClient()
				setField(&c, tt.field, strings.Repeat(r, tt.max))
				c.Normalize()
				checkFields(t, c.Validate(), "", nil)

				c = validClient()
				setField(&c, tt.field, strings.Repeat(r, tt.max+1))
				c.Normalize()
				checkFields(t, c.Validate(), tooLong, map[string]string{tt.field: tooLong})
			})
		}
	}

	ids := []struct {
		name string
		id   string
		ok   bool
	}{
		{"OK3", "abc", true},
		{"OK64", strings.Repeat("a", 64), true},
		{"OKAllowedChars", "Client_1.a-B", true},
		{"ErrInvalid2", "ab", false},
		{"ErrInvalid65", strings.Repeat("a", 65), false},
		{"ErrInvalidSlash", "client/1", false},
		{"ErrInvalidAt", "client@1", false},
		{"ErrInvalidColon", "client:1", false},
		{"ErrInvalidNonASCII", "clïent", false},
	}
	for _, tt := range ids {
		t.Run("clientId/"+tt.name, func(t *testing.T) {
			c := validClient()
			c.ID = tt.id
			c.Normalize()
			var want map[string]string
			if !tt.ok {
				want = map[string]string{"clientId": switchboard.MsgInvalidClientID}
			}
			checkFields(t, c.Validate(), switchboard.MsgInvalidClientID, want)
			if got, want := switchboard.ValidClientID(tt.id), tt.ok; got != want {
				t.Errorf("ValidClientID(%q) = %v, want %v", tt.id, got, want)
			}
		})
	}

	agents := []struct {
		name  string
		agent string
		ok    bool
	}{
		{"OK1", "a", true},
		{"OK128", strings.Repeat("a", 128), true},
		{"OKAllowedChars", "agent_01:abc.DEF-9", true},
		{"ErrInvalid129", strings.Repeat("a", 129), false},
		{"ErrInvalidSlash", "agents/1", false},
		{"ErrInvalidSpace", "agent 1", false},
	}
	for _, tt := range agents {
		t.Run("agentId/"+tt.name, func(t *testing.T) {
			c := validClient()
			c.AgentID = tt.agent
			c.Normalize()
			var want map[string]string
			if !tt.ok {
				want = map[string]string{"agentId": switchboard.MsgInvalidAgentID}
			}
			checkFields(t, c.Validate(), switchboard.MsgInvalidAgentID, want)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestClientUpdate_Validate(t *testing.T) {
	tests := []struct {
		name    string
		upd     switchboard.ClientUpdate
		wantMsg string
		want    map[string]string
	}{
		{"OKEmpty", switchboard.ClientUpdate{}, "", nil},
		{"OKEveryField", switchboard.ClientUpdate{
			Meta: switchboard.ClientMetaUpdate{
				FullName: ptr("Jane Roe"), Email: ptr("jane@example.com"), Phone: ptr("+442071234567"),
				BusinessName: ptr("Roe Ltd"), City: ptr("London"), JobTitle: ptr("CTO"), Notes: ptr("a\nb"),
			},
			AgentID: ptr("agent_2"), TwilioPhoneNumber: ptr("+18005550000"), Status: ptr(switchboard.StatusSuspended),
		}, "", nil},
		{"OKClearOptionalFields", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{
			BusinessName: ptr(""), City: ptr(""), JobTitle: ptr(" "), Notes: ptr(""),
		}}, "", nil},
		{"OKTrimmedPhone", switchboard.ClientUpdate{TwilioPhoneNumber: ptr(" +18005550000\n")}, "", nil},
		{"ErrInvalidEmptyFullName", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{FullName: ptr("")}},
			"clientMeta.fullName is required", map[string]string{"clientMeta.fullName": "clientMeta.fullName is required"}},
		{"ErrInvalidBlankFullName", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{FullName: ptr("  \t ")}},
			"clientMeta.fullName is required", map[string]string{"clientMeta.fullName": "clientMeta.fullName is required"}},
		{"ErrInvalidEmptyEmail", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{Email: ptr("")}},
			"clientMeta.email is required", map[string]string{"clientMeta.email": "clientMeta.email is required"}},
		{"ErrInvalidEmptyPhone", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{Phone: ptr("")}},
			"clientMeta.phone is required", map[string]string{"clientMeta.phone": "clientMeta.phone is required"}},
		{"ErrInvalidEmptyAgent", switchboard.ClientUpdate{AgentID: ptr(" ")},
			"agentId is required", map[string]string{"agentId": "agentId is required"}},
		{"ErrInvalidEmptyTwilio", switchboard.ClientUpdate{TwilioPhoneNumber: ptr("")},
			"twilioPhoneNumber is required", map[string]string{"twilioPhoneNumber": "twilioPhoneNumber is required"}},
		{"ErrInvalidEmail", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{Email: ptr("John <j@x.com>")}},
			switchboard.MsgInvalidEmail, map[string]string{"clientMeta.email": switchboard.MsgInvalidEmail}},
		{"ErrInvalidPhone", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{Phone: ptr("+0123")}},
			switchboard.MsgInvalidPhone, map[string]string{"clientMeta.phone": switchboard.MsgInvalidPhone}},
		{"ErrInvalidTwilio", switchboard.ClientUpdate{TwilioPhoneNumber: ptr("+1234567890123456")},
			switchboard.MsgInvalidPhone, map[string]string{"twilioPhoneNumber": switchboard.MsgInvalidPhone}},
		{"ErrInvalidAgent", switchboard.ClientUpdate{AgentID: ptr("agent/1")},
			switchboard.MsgInvalidAgentID, map[string]string{"agentId": switchboard.MsgInvalidAgentID}},
		{"ErrInvalidStatus", switchboard.ClientUpdate{Status: ptr(switchboard.Status("Deleted"))},
			switchboard.MsgInvalidStatus, map[string]string{"status": switchboard.MsgInvalidStatus}},
		{"ErrInvalidEmptyStatus", switchboard.ClientUpdate{Status: ptr(switchboard.Status(""))},
			switchboard.MsgInvalidStatus, map[string]string{"status": switchboard.MsgInvalidStatus}},
		{"ErrInvalidNULInNotes", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{Notes: ptr("a\x00b")}},
			"clientMeta.notes" + msgControl, map[string]string{"clientMeta.notes": "clientMeta.notes" + msgControl}},
		{"ErrInvalidNewlineInCity", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{City: ptr("New\nYork")}},
			"clientMeta.city" + msgControl, map[string]string{"clientMeta.city": "clientMeta.city" + msgControl}},
		{"ErrInvalidLongJobTitle", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{JobTitle: ptr(strings.Repeat("é", 101))}},
			"clientMeta.jobTitle is too long (at most 100 characters)",
			map[string]string{"clientMeta.jobTitle": "clientMeta.jobTitle is too long (at most 100 characters)"}},
		{"ErrInvalidSeveralFirstHeadlines", switchboard.ClientUpdate{
			Meta:   switchboard.ClientMetaUpdate{FullName: ptr(""), Email: ptr("bad")},
			Status: ptr(switchboard.Status("x")),
		}, "clientMeta.fullName is required", map[string]string{
			"clientMeta.fullName": "clientMeta.fullName is required",
			"clientMeta.email":    switchboard.MsgInvalidEmail,
			"status":              switchboard.MsgInvalidStatus,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			upd := tt.upd
			upd.Normalize()
			checkFields(t, upd.Validate(), tt.wantMsg, tt.want)
		})
	}
}

func TestClientUpdate_Normalize(t *testing.T) {
	callers := " Jane "
	upd := switchboard.ClientUpdate{
		Meta:    switchboard.ClientMetaUpdate{FullName: &callers, Notes: ptr("\n a\nb \n")},
		AgentID: ptr(" agent "),
	}
	upd.Normalize()
	if callers != " Jane " {
		t.Errorf("Normalize wrote through the caller's pointer: %q", callers)
	}
	if got, want := *upd.Meta.FullName, "Jane"; got != want {
		t.Errorf("FullName = %q, want %q", got, want)
	}
	if got, want := *upd.Meta.Notes, "a\nb"; got != want {
		t.Errorf("Notes = %q, want %q", got, want)
	}
	if got, want := *upd.AgentID, "agent"; got != want {
		t.Errorf("AgentID = %q, want %q", got, want)
	}
	if upd.Meta.Email != nil || upd.TwilioPhoneNumber != nil || upd.Status != nil {
		t.Errorf("Normalize set fields that were nil: %+v", upd)
	}
}

func TestClientUpdate_Empty(t *testing.T) {
	tests := []struct {
		name string
		upd  switchboard.ClientUpdate
		want bool
	}{
		{"Empty", switchboard.ClientUpdate{}, true},
		{"Status", switchboard.ClientUpdate{Status: ptr(switchboard.StatusActive)}, false},
		{"AgentID", switchboard.ClientUpdate{AgentID: ptr("")}, false},
		{"Twilio", switchboard.ClientUpdate{TwilioPhoneNumber: ptr("")}, false},
		{"FullName", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{FullName: ptr("")}}, false},
		{"Email", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{Email: ptr("")}}, false},
		{"Phone", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{Phone: ptr("")}}, false},
		{"BusinessName", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{BusinessName: ptr("")}}, false},
		{"City", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{City: ptr("")}}, false},
		{"JobTitle", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{JobTitle: ptr("")}}, false},
		{"Notes", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{Notes: ptr("")}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := tt.upd.Empty(), tt.want; got != want {
				t.Errorf("Empty() = %v, want %v", got, want)
			}
		})
	}
}

func TestValidateSecret(t *testing.T) {
	tooShort := func(f string) string { return f + " must be at least 16 characters" }
	tooLong := func(f string) string { return f + " must be at most 72 bytes" }
	tests := []struct {
		name    string
		field   string
		secret  string
		wantMsg string
	}{
		{"OK16", "clientSecret", strings.Repeat("a", 16), ""},
		{"OK72Bytes", "clientSecret", strings.Repeat("a", 72), ""},
		{"OKSpecification", "clientSecret", "client_secure_secret_key", ""},
		{"OK16Runes", "clientSecret", strings.Repeat("é", 16), ""},     // 32 bytes
		{"OK72BytesOfRunes", "newSecret", strings.Repeat("é", 36), ""}, // 72 bytes
		{"OKSpaces", "clientSecret", " correct horse battery ", ""},
		{"ErrInvalidEmpty", "clientSecret", "", tooShort("clientSecret")},
		{"ErrInvalid15", "clientSecret", strings.Repeat("a", 15), tooShort("clientSecret")},
		{"ErrInvalid15RunesIn30Bytes", "clientSecret", strings.Repeat("é", 15), tooShort("clientSecret")},
		{"ErrInvalid73Bytes", "clientSecret", strings.Repeat("a", 73), tooLong("clientSecret")},
		{"ErrInvalid74BytesOfRunes", "clientSecret", strings.Repeat("é", 37), tooLong("clientSecret")},
		{"ErrInvalidFieldName", "newSecret", "short", tooShort("newSecret")},
		{"ErrInvalidNUL", "clientSecret", "abcdefgh\x00ijklmnop", "clientSecret" + msgControl},
		{"ErrInvalidNewline", "newSecret", "abcdefghijklmnop\n", "newSecret" + msgControl},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want map[string]string
			if tt.wantMsg != "" {
				want = map[string]string{tt.field: tt.wantMsg}
			}
			checkFields(t, switchboard.ValidateSecret(tt.field, tt.secret), tt.wantMsg, want)
		})
	}
}

func TestEmailKey(t *testing.T) {
	tests := []struct{ email, want string }{
		{"john@example.com", "john@example.com"},
		{" JOHN@Example.COM\n", "john@example.com"},
		{"Émile@Zola.fr", "émile@zola.fr"},
	}
	for _, tt := range tests {
		if got := switchboard.EmailKey(tt.email); got != tt.want {
			t.Errorf("EmailKey(%q) = %q, want %q", tt.email, got, tt.want)
		}
	}
}

func TestStatus_Valid(t *testing.T) {
	tests := []struct {
		status switchboard.Status
		want   bool
	}{
		{switchboard.StatusActive, true},
		{switchboard.StatusInactive, true},
		{switchboard.StatusSuspended, true},
		{"", false},
		{"active", false},
		{"ACTIVE", false},
		{"Active ", false},
		{"Deleted", false},
	}
	for _, tt := range tests {
		if got := tt.status.Valid(); got != tt.want {
			t.Errorf("Status(%q).Valid() = %v, want %v", tt.status, got, tt.want)
		}
	}
}

func TestErrorCodeMessage(t *testing.T) {
	notFound := &switchboard.Error{Code: switchboard.ENOTFOUND, Message: "Client not found"}
	tests := []struct {
		name     string
		err      error
		wantCode string
		wantMsg  string
	}{
		{"Nil", nil, "", ""},
		{"Error", notFound, switchboard.ENOTFOUND, "Client not found"},
		{"Errorf", switchboard.Errorf(switchboard.ECONFLICT, "Admin %q already exists", "root"),
			switchboard.ECONFLICT, `Admin "root" already exists`},
		{"Wrapped", fmt.Errorf("find client: %w", notFound), switchboard.ENOTFOUND, "Client not found"},
		{"WrappedTwice", fmt.Errorf("a: %w", fmt.Errorf("b: %w", notFound)), switchboard.ENOTFOUND, "Client not found"},
		{"Joined", errors.Join(errors.New("x"), notFound), switchboard.ENOTFOUND, "Client not found"},
		{"Plain", errors.New("pq: connection refused to 10.0.0.1"), switchboard.EINTERNAL, "Internal error."},
		{"PlainWrapped", fmt.Errorf("update client: %w", errors.New("disk full")), switchboard.EINTERNAL, "Internal error."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := switchboard.ErrorCode(tt.err), tt.wantCode; got != want {
				t.Errorf("ErrorCode() = %q, want %q", got, want)
			}
			if got, want := switchboard.ErrorMessage(tt.err), tt.wantMsg; got != want {
				t.Errorf("ErrorMessage() = %q, want %q", got, want)
			}
		})
	}
	t.Run("ErrorString", func(t *testing.T) {
		if got, want := notFound.Error(), "switchboard: code=not_found message=Client not found"; got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
	})
}

// TestClient_ValidateUTF8: invalid UTF-8 is refused in every text field. The
// JSON decoder refuses it first, but the domain must not rely on that:
// PostgreSQL cannot store it.
func TestClient_ValidateUTF8(t *testing.T) {
	for field, set := range map[string]func(c *switchboard.Client){
		"clientMeta.fullName":     func(c *switchboard.Client) { c.Meta.FullName = "Jo\xffhn" },
		"clientMeta.email":        func(c *switchboard.Client) { c.Meta.Email = "j\xffo@example.com" },
		"clientMeta.businessName": func(c *switchboard.Client) { c.Meta.BusinessName = "Acme\xc3" },
		"clientMeta.notes":        func(c *switchboard.Client) { c.Meta.Notes = "\xed\xa0\x80" },
	} {
		c := &switchboard.Client{ID: "client_utf8", AgentID: "agent_1", TwilioPhoneNumber: "+18001234567",
			Meta: switchboard.ClientMeta{FullName: "John", Email: "j@example.com", Phone: "+12125551234"}}
		set(c)
		c.Normalize()
		var e *switchboard.Error
		if err := c.Validate(); !errors.As(err, &e) || e.Fields[field] == "" {
			t.Errorf("%s with invalid UTF-8: Validate() = %v, want a field error", field, err)
		}
	}
	if err := switchboard.ValidateSecret("newSecret", "sixteen-chars-\xff\xfe"); err == nil {
		t.Error("ValidateSecret accepted invalid UTF-8")
	}
}

func TestClient_FieldErrors(t *testing.T) {
	const badClientID = switchboard.MsgInvalidClientID
	tests := []struct {
		name string
		edit func(c *switchboard.Client)
		want map[string]string // nil: no problem
	}{
		{"OK", func(c *switchboard.Client) {}, nil},
		{"OKEmptyIDIsGenerated", func(c *switchboard.Client) { c.ID = "" }, nil},
		{"OKBlankIDIsEmpty", func(c *switchboard.Client) { c.ID = " \t " }, nil},
		{"OKOptionalEmpty", func(c *switchboard.Client) {
			c.Meta.BusinessName, c.Meta.City, c.Meta.JobTitle, c.Meta.Notes = "", "", "", ""
		}, nil},
		{"OKStatusDefault", func(c *switchboard.Client) { c.Status = "" }, nil},
		{"ErrEveryRequiredMissing", func(c *switchboard.Client) {
			c.Meta.FullName, c.Meta.Email, c.Meta.Phone, c.AgentID, c.TwilioPhoneNumber = "", " ", "", "\n", ""
		}, map[string]string{
			"clientMeta.fullName": "clientMeta.fullName is required",
			"clientMeta.email":    "clientMeta.email is required",
			"clientMeta.phone":    "clientMeta.phone is required",
			"agentId":             "agentId is required",
			"twilioPhoneNumber":   "twilioPhoneNumber is required",
		}},
		// Every problem at once: Validate would stop at the missing name.
		{"ErrMissingAndFormatsTogether", func(c *switchboard.Client) {
			c.ID, c.Meta.FullName, c.Meta.Email, c.AgentID, c.Status = "a b", "", "not-an-email", "agent 1", "Deleted"
			c.Meta.City, c.Meta.Notes = "Lon\x00don", strings.Repeat("n", 2001)
		}, map[string]string{
			"clientId":            badClientID,
			"clientMeta.fullName": "clientMeta.fullName is required",
			"clientMeta.email":    switchboard.MsgInvalidEmail,
			"clientMeta.city":     "clientMeta.city" + msgControl,
			"clientMeta.notes":    "clientMeta.notes is too long (at most 2000 characters)",
			"agentId":             switchboard.MsgInvalidAgentID,
			"status":              switchboard.MsgInvalidStatus,
		}},
		{"ErrEveryFormat", func(c *switchboard.Client) {
			c.ID, c.Meta.Email, c.Meta.Phone, c.AgentID, c.TwilioPhoneNumber, c.Status = "ab", "x@", "+0", "a/b", "18001234567", "active"
			c.Meta.FullName, c.Meta.BusinessName, c.Meta.JobTitle = strings.Repeat("f", 201), "Acme\x1b", strings.Repeat("j", 101)
		}, map[string]string{
			"clientId":                badClientID,
			"clientMeta.fullName":     "clientMeta.fullName is too long (at most 200 characters)",
			"clientMeta.email":        switchboard.MsgInvalidEmail,
			"clientMeta.phone":        switchboard.MsgInvalidPhone,
			"clientMeta.businessName": "clientMeta.businessName" + msgControl,
			"clientMeta.jobTitle":     "clientMeta.jobTitle is too long (at most 100 characters)",
			"agentId":                 switchboard.MsgInvalidAgentID,
			"twilioPhoneNumber":       switchboard.MsgInvalidPhone,
			"status":                  switchboard.MsgInvalidStatus,
		}},
		// A missing field reports that it is missing, not that it is malformed.
		{"ErrMissingNotMalformed", func(c *switchboard.Client) { c.Meta.Phone, c.AgentID = "", "" },
			map[string]string{"clientMeta.phone": "clientMeta.phone is required", "agentId": "agentId is required"}},
		{"ErrInvalidIDStillChecked", func(c *switchboard.Client) { c.ID = "client id" },
			map[string]string{"clientId": badClientID}},
		// "new", in any case, is reserved (the console's create form is
		// /console/clients/new); ids that merely hold the word are not.
		{"ErrReservedIDNew", func(c *switchboard.Client) { c.ID = "new" },
			map[string]string{"clientId": switchboard.MsgReservedClientID}},
		{"ErrReservedIDNEW", func(c *switchboard.Client) { c.ID = "NEW" },
			map[string]string{"clientId": switchboard.MsgReservedClientID}},
		{"ErrReservedIDTrimmed", func(c *switchboard.Client) { c.ID = " New " },
			map[string]string{"clientId": switchboard.MsgReservedClientID}},
		{"ErrReservedIDWithMissing", func(c *switchboard.Client) { c.ID, c.AgentID = "nEW", "" },
			map[string]string{"clientId": switchboard.MsgReservedClientID, "agentId": "agentId is required"}},
		{"OKIDHoldsNew", func(c *switchboard.Client) { c.ID = "newton" }, nil},
		{"OKIDEndsWithNew", func(c *switchboard.Client) { c.ID = "renew" }, nil},
		{"OKIDNewWithSuffix", func(c *switchboard.Client) { c.ID = "new-1" }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validClient()
			tt.edit(&c)
			c.Normalize()
			got := fieldsOf(t, c.FieldErrors())
			if len(got) != len(tt.want) || (len(tt.want) > 0 && !reflect.DeepEqual(got, tt.want)) {
				t.Errorf("FieldErrors() = %q,\nwant %q", got, tt.want)
			}
		})
	}
}

// FieldErrors and Validate apply the same rules with the same messages:
// for every malformed (not missing) value, FieldErrors reports exactly the
// fields, and words, of Validate's error; and a client FieldErrors passes,
// given an ID, Validate passes too.
func TestClient_FieldErrorsMatchesValidate(t *testing.T) {
	values := map[string][]string{
		"clientId":                {"a", "client id", "client/1", strings.Repeat("c", 65), "ok_id", "é_client", "new", "NEW", "New", "news"},
		"clientMeta.fullName":     {"Ada\x00", strings.Repeat("é", 201), strings.Repeat("é", 200), "Ada\u0085"},
		"clientMeta.email":        {"x", "a@b", "Ada <ada@example.com>", "ada@example.com", "ad\u0085a@example.com"},
		"clientMeta.phone":        {"123", "+0123", "+1 212 555 1234", "+12125551234", "+1234567890123456"},
		"clientMeta.businessName": {"Acme\x1b", strings.Repeat("b", 201)},
		"clientMeta.city":         {"New\nYork", strings.Repeat("c", 101), strings.Repeat("c", 100)},
		"clientMeta.jobTitle":     {"C\tEO", strings.Repeat("j", 101)},
		"clientMeta.notes":        {"a\nb\tc", "a\x00b", strings.Repeat("n", 2001)},
		"agentId":                 {"agent id", "agent:1", strings.Repeat("a", 129), "a\x7f"},
		"twilioPhoneNumber":       {"18001234567", "+1800123456a", "+18001234567"},
	}
	check := func(t *testing.T, c switchboard.Client) {
		t.Helper()
		c.Normalize()
		got := fieldsOf(t, c.FieldErrors())
		var want map[string]string
		if err := c.Validate(); err != nil {
			e := asError(t, err)
			if e.Fields == nil {
				t.Fatalf("Validate() = %v without fields for a malformed value", err)
			}
			want = e.Fields
		}
		if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
			t.Errorf("FieldErrors() = %q, Validate().Fields = %q", got, want)
		}
	}
	for field, vs := range values {
		for _, v := range vs {
			t.Run(fmt.Sprintf("%s=%q", field, v), func(t *testing.T) {
				c := validClient()
				setField(&c, field, v)
				check(t, c)
			})
		}
	}
	for _, st := range []switchboard.Status{"Deleted", "active", switchboard.StatusInactive, switchboard.StatusSuspended} {
		t.Run("status="+string(st), func(t *testing.T) {
			c := validClient()
			c.Status = st
			check(t, c)
		})
	}
	t.Run("Several", func(t *testing.T) {
		c := validClient()
		c.ID, c.Meta.Email, c.Meta.City, c.TwilioPhoneNumber, c.Status = "x", "bad", "a\x00b", "+0", "nope"
		check(t, c)
	})
}
