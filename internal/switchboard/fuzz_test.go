package switchboard_test

import (
	"errors"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"switchboard/internal/switchboard"
)

// The rules a valid record must meet, written out again here rather than
// borrowed from the package, so that a fuzzed input that slips past Validate
// is caught by an independent reading of the document.
var (
	fuzzClientIDRule = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,64}$`)
	fuzzAgentIDRule  = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)
	fuzzE164Rule     = regexp.MustCompile(`^\+[1-9]\d{1,14}$`)
	fuzzMaxRunes     = map[string]int{
		"clientMeta.fullName": 200, "clientMeta.businessName": 200,
		"clientMeta.city": 100, "clientMeta.jobTitle": 100, "clientMeta.notes": 2000,
	}
)

// FuzzClientValidate builds a Client, a ClientUpdate and a secret from fuzzed
// strings. Normalize and Validate must never panic, and whatever they accept
// must be a record every reader can take: no control characters (notes may
// hold \n, \r and \t), an email net/mail parses to itself, E.164 phones, a
// clientId and agentId of the documented form, a known status, and no field
// over its length cap. mask chooses which fields the update sets.
func FuzzClientValidate(f *testing.F) {
	f.Add("client_unique_id", "John Doe", "john@example.com", "+12125551234", "Acme Corp", "New York", "CEO",
		"Prefers morning calls", "agent_id_here", "+18001234567", "Active", "client_secure_secret_key", uint16(0xffff))
	f.Add("", "", "", "", "", "", "", "", "", "", "", "", uint16(0))
	f.Add(" padded.id ", " Jane\tDoe ", " jane@example.com ", " +447911123456 ", "", "", "", "line one\nline two\r\n\ttab",
		"agent:1", "+18001234567", "Suspended", "0123456789abcdef", uint16(0x0aaa))
	f.Add("x\x00y", "Nul\x00Name", "a\x00@b.co", "+1\x00234", "Biz\u0085", "City\u200e", "Job\x7f", "notes\x00",
		"agent\x00", "+1800\n1234567", "active", "secret\x00with-a-nul-inside", uint16(0x1fff))
	f.Add("ünïcödé", "José Ñúñez 山田", "josé@exämple.com", "+٣١٢٣٤", "株式会社", "Zürich", "Директор",
		strings.Repeat("é", 2001), "агент", "+1８001234567", "Inactive", strings.Repeat("é", 40), uint16(0x0555))
	f.Add("bad\xffutf8", "Inv\xffalid", "x\xff@example.com", "+1212\xff5551234", "\xfe", "\xc0\xaf", "\xed\xa0\x80",
		"\xff", "\xff", "\xff", "\xff", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1\xf0", uint16(0x0fff))
	f.Add(strings.Repeat("a", 65), strings.Repeat("n", 201), strings.Repeat("e", 250)+"@example.com",
		"+1234567890123456", strings.Repeat("b", 201), strings.Repeat("c", 101), strings.Repeat("j", 101),
		strings.Repeat("n", 2001), strings.Repeat("g", 129), "+0123", "Deleted", strings.Repeat("s", 73), uint16(0x0fff))
	f.Add("abc", "A", "\"quoted local\"@example.com", "+12", "", "", "", "", "a", "+99", "Active",
		"                ", uint16(0x0001))
	f.Add("$ne", "{\"$ne\":null}", "Name <name@example.com>", "+1 212 555 1234", "", "", "", "", "agent id",
		"18001234567", " Active ", "{\"$ne\":null}xxxxx", uint16(0x0200))

	f.Fuzz(func(t *testing.T, id, fullName, email, phone, business, city, job, notes, agent, twilio, status, secret string, mask uint16) {
		c := switchboard.Client{
			ID: id, Status: switchboard.Status(status), AgentID: agent, TwilioPhoneNumber: twilio,
			Meta: switchboard.ClientMeta{
				FullName: fullName, Email: email, Phone: phone,
				BusinessName: business, City: city, JobTitle: job, Notes: notes,
			},
		}
		c.Normalize()
		if err := c.Validate(); err != nil {
			checkDomainError(t, err)
		} else {
			checkValidClient(t, c)
			again := c
			again.Normalize()
			if again != c {
				t.Fatalf("Normalize is not idempotent on a valid client:\n%#v\n%#v", c, again)
			}
		}

		// The update sets the fields whose bit is on in mask.
		var upd switchboard.ClientUpdate
		set := func(bit uint, v string) *string {
			if mask&(1<<bit) == 0 {
				return nil
			}
			return &v
		}
		upd.Meta = switchboard.ClientMetaUpdate{
			FullName: set(0, fullName), Email: set(1, email), Phone: set(2, phone),
			BusinessName: set(3, business), City: set(4, city), JobTitle: set(5, job), Notes: set(6, notes),
		}
		upd.AgentID, upd.TwilioPhoneNumber = set(7, agent), set(8, twilio)
		if s := set(9, status); s != nil {
			st := switchboard.Status(*s)
			upd.Status = &st
		}
		upd.Normalize()
		if err := upd.Validate(); err != nil {
			checkDomainError(t, err)
		} else {
			checkValidUpdate(t, upd)
		}

		if err := switchboard.ValidateSecret("clientSecret", secret); err != nil {
			checkDomainError(t, err)
		} else {
			if n := utf8.RuneCountInString(secret); n < switchboard.MinSecretLength {
				t.Errorf("secret %q of %d characters accepted, want at least %d", secret, n, switchboard.MinSecretLength)
			}
			if len(secret) > switchboard.MaxSecretLength {
				t.Errorf("secret of %d bytes accepted, want at most %d", len(secret), switchboard.MaxSecretLength)
			}
			checkText(t, "clientSecret", secret, false)
		}
	})
}

// checkDomainError: a refusal is an EINVALID *switchboard.Error with a message.
func checkDomainError(t *testing.T, err error) {
	t.Helper()
	var e *switchboard.Error
	if !errors.As(err, &e) || e.Code != switchboard.EINVALID || e.Message == "" {
		t.Fatalf("refusal is %#v, want an EINVALID *switchboard.Error with a message", err)
	}
	for field, msg := range e.Fields {
		if field == "" || msg == "" {
			t.Fatalf("refusal has an empty field or message: %#v", e.Fields)
		}
	}
}

func checkValidClient(t *testing.T, c switchboard.Client) {
	t.Helper()
	if !fuzzClientIDRule.MatchString(c.ID) {
		t.Errorf("clientId %q accepted", c.ID)
	}
	if !fuzzAgentIDRule.MatchString(c.AgentID) {
		t.Errorf("agentId %q accepted", c.AgentID)
	}
	checkPhone(t, "twilioPhoneNumber", c.TwilioPhoneNumber)
	checkPhone(t, "clientMeta.phone", c.Meta.Phone)
	checkEmail(t, c.Meta.Email)
	if c.Meta.FullName == "" {
		t.Errorf("empty fullName accepted")
	}
	if !c.Status.Valid() {
		t.Errorf("status %q accepted", c.Status)
	}
	m := c.Meta
	for field, v := range map[string]string{
		"clientId": c.ID, "agentId": c.AgentID, "twilioPhoneNumber": c.TwilioPhoneNumber,
		"clientMeta.fullName": m.FullName, "clientMeta.email": m.Email, "clientMeta.phone": m.Phone,
		"clientMeta.businessName": m.BusinessName, "clientMeta.city": m.City, "clientMeta.jobTitle": m.JobTitle,
		"clientMeta.notes": m.Notes, "status": string(c.Status),
	} {
		checkText(t, field, v, field == "clientMeta.notes")
	}
}

func checkValidUpdate(t *testing.T, upd switchboard.ClientUpdate) {
	t.Helper()
	m := upd.Meta
	if upd.AgentID != nil && !fuzzAgentIDRule.MatchString(*upd.AgentID) {
		t.Errorf("agentId %q accepted", *upd.AgentID)
	}
	if upd.TwilioPhoneNumber != nil {
		checkPhone(t, "twilioPhoneNumber", *upd.TwilioPhoneNumber)
	}
	if m.Phone != nil {
		checkPhone(t, "clientMeta.phone", *m.Phone)
	}
	if m.Email != nil {
		checkEmail(t, *m.Email)
	}
	if m.FullName != nil && *m.FullName == "" {
		t.Errorf("empty fullName accepted")
	}
	if upd.Status != nil && !upd.Status.Valid() {
		t.Errorf("status %q accepted", *upd.Status)
	}
	for field, v := range map[string]*string{
		"agentId": upd.AgentID, "twilioPhoneNumber": upd.TwilioPhoneNumber,
		"clientMeta.fullName": m.FullName, "clientMeta.email": m.Email, "clientMeta.phone": m.Phone,
		"clientMeta.businessName": m.BusinessName, "clientMeta.city": m.City, "clientMeta.jobTitle": m.JobTitle,
		"clientMeta.notes": m.Notes,
	} {
		if v != nil {
			checkText(t, field, *v, field == "clientMeta.notes")
		}
	}
}

func checkPhone(t *testing.T, field, v string) {
	t.Helper()
	if !fuzzE164Rule.MatchString(v) {
		t.Errorf("%s %q accepted, want E.164", field, v)
	}
}

func checkEmail(t *testing.T, v string) {
	t.Helper()
	addr, err := mail.ParseAddress(v)
	if err != nil || addr.Address != v || addr.Name != "" {
		t.Errorf("email %q accepted, but net/mail reads it as %v, %v", v, addr, err)
	}
	if at := strings.LastIndexByte(v, '@'); at <= 0 || !strings.Contains(v[at+1:], ".") {
		t.Errorf("email %q accepted without a dotted domain", v)
	}
	if len(v) > 254 {
		t.Errorf("email of %d bytes accepted", len(v))
	}
}

// checkText: valid UTF-8, no control character (but \n, \r, \t in multiline text), no
// surrounding space (Normalize trims), and no more runes than the field's cap.
func checkText(t *testing.T, field, v string, multiline bool) {
	t.Helper()
	if !utf8.ValidString(v) {
		t.Errorf("%s %q accepted with invalid UTF-8", field, v)
	}
	for _, r := range v {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			t.Errorf("%s %q accepted with control character %U", field, v, r)
			break
		}
	}
	if field != "clientSecret" && strings.TrimSpace(v) != v {
		t.Errorf("%s %q accepted untrimmed", field, v)
	}
	if max, ok := fuzzMaxRunes[field]; ok && utf8.RuneCountInString(v) > max {
		t.Errorf("%s of %d characters accepted, cap %d", field, utf8.RuneCountInString(v), max)
	}
}
