package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"switchboard/internal/switchboard"
)

// formInputs lists the names of the inputs of the form with the test id,
// sorted, without the CSRF token.
func formInputs(p *page, testid string) []string {
	var names []string
	for _, n := range p.testid(testid).Find("[name]").EachIter() {
		if name, _ := n.Attr("name"); name != "_csrf" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// names lists the fields' names, sorted.
func names(fields []switchboard.ClientField) []string {
	var out []string
	for _, f := range fields {
		out = append(out, f.Name)
	}
	slices.Sort(out)
	return out
}

// The domain's field list and the forms agree: the console's edit form has
// an input, labelled with the field's label, for every field of
// switchboard.ClientFields and no other, filled from the stored client; the
// create and edit forms store what each input holds; the profile form does
// the same with the contact fields alone.
func TestClientFields_Forms(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	create := newClientForm("fields_1", "")
	for _, f := range switchboard.ClientFields {
		create.Set(f.Name, f.Example)
	}
	_, secret := b.create(create)
	stored := s.client(t, "fields_1")
	for _, f := range switchboard.ClientFields {
		if got := *f.Of(stored); got != f.Example {
			t.Errorf("create stored %s = %q, want %q", f.Name, got, f.Example)
		}
	}

	edit := b.get("/console/clients/fields_1").wantStatus(http.StatusOK)
	if got, want := formInputs(edit, "client-form"), names(switchboard.ClientFields); !slices.Equal(got, want) {
		t.Errorf("edit form inputs = %q, want the domain's fields %q", got, want)
	}
	for _, f := range switchboard.ClientFields {
		if got := edit.inputValue(f.Name); got != f.Example {
			t.Errorf("edit form's %s = %q, want %q", f.Name, got, f.Example)
		}
		if got := strings.TrimSpace(edit.testid("field-" + f.Name).Find("label").Text()); !strings.HasPrefix(got, f.Label) {
			t.Errorf("label of %s = %q, want %q", f.Name, got, f.Label)
		}
	}

	// another is a valid value of f other than its example.
	another := func(f switchboard.ClientField) string {
		if f.Kind == switchboard.EmailField {
			return "other." + f.Example
		}
		return f.Example + "0"
	}
	for _, f := range switchboard.ClientFields {
		form := url.Values{}
		for _, g := range switchboard.ClientFields {
			form.Set(g.Name, *g.Of(s.client(t, "fields_1")))
		}
		form.Set(f.Name, another(f))
		b.get("/console/clients/fields_1")
		b.post("/console/clients/fields_1", form).wantStatus(http.StatusSeeOther)
		if got := *f.Of(s.client(t, "fields_1")); got != another(f) {
			t.Errorf("edit form stored %s = %q, want %q", f.Name, got, another(f))
		}
	}

	a := s.signInClient(t, "fields_1", secret)
	profile := a.get("/account/profile").wantStatus(http.StatusOK)
	if got, want := formInputs(profile, "profile-form"), names(switchboard.OwnFields); !slices.Equal(got, want) {
		t.Errorf("profile form inputs = %q, want the domain's contact fields a client changes %q", got, want)
	}
	form := url.Values{}
	for _, f := range switchboard.ClientFields {
		form.Set(f.Name, f.Example)
	}
	a.get("/account/profile")
	a.post("/account/profile", form).wantStatus(http.StatusSeeOther)
	after := s.client(t, "fields_1")
	for _, f := range switchboard.OwnFields {
		if got := *f.Of(after); got != f.Example {
			t.Errorf("profile form stored %s = %q, want %q", f.Name, got, f.Example)
		}
	}
	for _, f := range append(adminOnly(), switchboard.CallingFields...) {
		if got := *f.Of(after); got != another(f) {
			t.Errorf("profile form changed %s to %q", f.Name, got)
		}
	}
}

// A field's problem is shown with the field's label in place of its JSON
// name, from the phrase the domain keeps beside the message, or as the
// domain says it when the problem is a sentence of its own.
func TestClientFields_FormErrorsUseLabels(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	b.create(newClientForm("labels_1", "labels@example.com"))
	for _, f := range switchboard.ClientFields {
		for _, bad := range []string{"", "a\x00b", strings.Repeat("x", 2001)} {
			upd := switchboard.ClientUpdate{}
			*f.OfUpdate(&upd) = &bad
			upd.Normalize()
			err := upd.Validate()
			if err == nil {
				continue // the field may be empty
			}
			var want string
			if phrase, ok := switchboard.FieldPhrases(err)[f.Name]; ok {
				want = f.Label + " " + phrase
			} else {
				want = switchboard.ErrorMessage(err)
			}
			form := newClientForm("labels_1", "labels@example.com")
			form.Set(f.Name, bad)
			b.get("/console/clients/labels_1")
			p := b.post("/console/clients/labels_1", form).wantStatus(http.StatusUnprocessableEntity)
			if got := p.fieldError(f.Name); got != want {
				t.Errorf("%s = %q: shown %q, want %q", f.Name, bad[:min(len(bad), 8)], got, want)
			}
		}
	}
}

// adminOnly are the contact fields that are the administrator's alone.
func adminOnly() []switchboard.ClientField {
	var fields []switchboard.ClientField
	for _, f := range switchboard.ContactFields {
		if f.AdminOnly {
			fields = append(fields, f)
		}
	}
	return fields
}
