package switchboard_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/internal/switchboard"
)

// The table covers every text member of Client and of ClientUpdate once:
// a member added to the structs without an entry (or an entry pointing at
// the wrong member) fails here, before any transport forgets it.
func TestClientFields_CoverTheStructs(t *testing.T) {
	var c switchboard.Client
	var upd switchboard.ClientUpdate
	seen, seenUpd := map[*string]string{}, map[**string]string{}
	var names []string
	for _, f := range switchboard.ClientFields {
		if other, ok := seen[f.Of(&c)]; ok {
			t.Errorf("%s and %s point at the same member of Client", f.Name, other)
		}
		if other, ok := seenUpd[f.OfUpdate(&upd)]; ok {
			t.Errorf("%s and %s point at the same member of ClientUpdate", f.Name, other)
		}
		seen[f.Of(&c)], seenUpd[f.OfUpdate(&upd)] = f.Name, f.Name
		names = append(names, f.Name)
		if f.Label == "" {
			t.Errorf("%s has no label", f.Name)
		}
		if f.Required && f.Missing == "" && !slices.Contains(switchboard.MetaRequiredFields, f.Name) {
			t.Errorf("%s is required but has no Missing message", f.Name)
		}
		if f.Kind == switchboard.TextField || f.Kind == switchboard.MultilineField {
			if f.MaxLength == 0 {
				t.Errorf("%s is free text without a MaxLength", f.Name)
			}
		}
	}
	if got := len(switchboard.ClientFields); got != len(switchboard.ContactFields)+len(switchboard.CallingFields) {
		t.Errorf("len(ClientFields) = %d", got)
	}
	for i, f := range switchboard.ContactFields {
		if !strings.HasPrefix(f.Name, "clientMeta.") || names[i] != f.Name {
			t.Errorf("contact field %d is %s", i, f.Name)
		}
	}

	// Every string member of Client but the ID and the hash, and every
	// *string member of ClientUpdate, is pointed at by one entry.
	members := func(v reflect.Value, want reflect.Type, skip ...string) map[string]any {
		out := map[string]any{}
		var walk func(v reflect.Value, prefix string)
		walk = func(v reflect.Value, prefix string) {
			for i := range v.NumField() {
				fv, name := v.Field(i), prefix+v.Type().Field(i).Name
				switch {
				case fv.Kind() == reflect.Struct && fv.Type() != reflect.TypeFor[time.Time]():
					walk(fv, name+".")
				case fv.Type() == want && !slices.Contains(skip, name):
					out[name] = fv.Addr().Interface()
				}
			}
		}
		walk(v, "")
		return out
	}
	for name, m := range members(reflect.ValueOf(&c).Elem(), reflect.TypeFor[string](), "ID", "SecretHash") {
		if _, ok := seen[m.(*string)]; !ok {
			t.Errorf("Client.%s has no entry in ClientFields", name)
		}
	}
	for name, m := range members(reflect.ValueOf(&upd).Elem(), reflect.TypeFor[*string]()) {
		if _, ok := seenUpd[m.(**string)]; !ok {
			t.Errorf("ClientUpdate.%s has no entry in ClientFields", name)
		}
	}
}

// Every field of the table is set by Apply, trimmed by both Normalizes,
// counted by Empty, reported by ChangedFields and checked by both Validates.
func TestClientFields_EveryFieldTakesPart(t *testing.T) {
	for _, f := range switchboard.ClientFields {
		t.Run(f.Name, func(t *testing.T) {
			v := f.Example
			padded := " " + v + "\t"
			var upd switchboard.ClientUpdate
			*f.OfUpdate(&upd) = &padded
			if upd.Empty() {
				t.Error("Empty() = true with the field set")
			}
			upd.Normalize()
			if got := **f.OfUpdate(&upd); got != v {
				t.Errorf("ClientUpdate.Normalize: %q, want %q", got, v)
			}
			if err := upd.Validate(); err != nil {
				t.Errorf("ClientUpdate.Validate(%q) = %v", v, err)
			}

			before := validClient()
			after := before
			after.Apply(upd)
			if got := *f.Of(&after); got != v {
				t.Errorf("Apply: %q, want %q", got, v)
			}
			if got, want := switchboard.ChangedFields(&before, &after), []string{f.Name}; !reflect.DeepEqual(got, want) {
				t.Errorf("ChangedFields = %q, want %q", got, want)
			}

			c := validClient()
			*f.Of(&c) = padded
			c.Normalize()
			if got := *f.Of(&c); got != v {
				t.Errorf("Client.Normalize: %q, want %q", got, v)
			}
			*f.Of(&c) = "a\x00b"
			for name, err := range map[string]error{"Validate": c.Validate(), "FieldErrors": c.FieldErrors()} {
				if e := asError(t, err); e.Fields[f.Name] == "" {
					t.Errorf("%s passed a NUL: %v", name, err)
				}
			}
		})
	}
}

// A problem said after the field's name has its phrase as data, and the
// message is exactly the name, a space and the phrase; a problem that is
// a sentence of its own has no phrase.
func TestFieldPhrases(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want map[string]string // field: phrase; a field absent here has none
	}{
		{"Required", (&switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{FullName: ptr("")}}).Validate(),
			map[string]string{"clientMeta.fullName": "is required"}},
		{"TooLong", (&switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{City: ptr(strings.Repeat("c", 101))}}).Validate(),
			map[string]string{"clientMeta.city": "is too long (at most 100 characters)"}},
		{"Control", (&switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{Notes: ptr("a\x00")}}).Validate(),
			map[string]string{"clientMeta.notes": "contains a control character"}},
		{"UTF8", (&switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{JobTitle: ptr("\xff")}}).Validate(),
			map[string]string{"clientMeta.jobTitle": "is not valid UTF-8"}},
		{"SecretShort", switchboard.ValidateSecret("newSecret", "short"),
			map[string]string{"newSecret": "must be at least 16 characters"}},
		{"SecretLong", switchboard.ValidateSecret("clientSecret", strings.Repeat("s", 73)),
			map[string]string{"clientSecret": "must be at most 72 bytes"}},
		{"InvalidField", switchboard.InvalidField("newSecret", "must differ from the current secret"),
			map[string]string{"newSecret": "must differ from the current secret"}},
		{"OwnSentences", (&switchboard.ClientUpdate{
			Meta: switchboard.ClientMetaUpdate{Email: ptr("x"), Phone: ptr("1")}, AgentID: ptr("a b"),
			Status: ptr(switchboard.Status("x")),
		}).Validate(), map[string]string{}},
		{"Mixed", (&switchboard.ClientUpdate{
			Meta: switchboard.ClientMetaUpdate{Email: ptr("x"), City: ptr("a\nb")}, TwilioPhoneNumber: ptr(""),
		}).Validate(), map[string]string{"clientMeta.city": "contains a control character", "twilioPhoneNumber": "is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := asError(t, tt.err)
			phrases := switchboard.FieldPhrases(tt.err)
			for field, msg := range e.Fields {
				phrase, ok := phrases[field]
				if want, wantOK := tt.want[field]; ok != wantOK || phrase != want {
					t.Errorf("phrase of %s = %q, %v; want %q, %v", field, phrase, ok, want, wantOK)
				}
				if ok && msg != field+" "+phrase {
					t.Errorf("message of %s = %q, not the name and the phrase %q", field, msg, phrase)
				}
			}
			for field := range tt.want {
				if _, ok := e.Fields[field]; !ok {
					t.Errorf("no problem with %s: %q", field, e.Fields)
				}
			}
		})
	}
	if got := switchboard.FieldPhrases(&switchboard.Error{Code: switchboard.EINVALID, Fields: map[string]string{"a": "a b"}}); got != nil {
		t.Errorf("FieldPhrases of an error no validation made = %q", got)
	}
	if got := switchboard.FieldPhrases(nil); got != nil {
		t.Errorf("FieldPhrases(nil) = %q", got)
	}
	var e *switchboard.Error
	if err := switchboard.InvalidField("newSecret", "must differ"); !errors.As(err, &e) || e.Code != switchboard.EINVALID ||
		e.Message != "newSecret must differ" {
		t.Errorf("InvalidField = %#v", err)
	}
}
