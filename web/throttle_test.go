package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"switchboard/internal/auth"
	"switchboard/internal/auth/authtest"
)

// signInForm is one form that checks a secret or a password.
type signInForm struct {
	name, action string
	// open returns a browser on the form, ready to post it.
	open func(t *testing.T, s *site, secret string) *browser
	// wrong is the form with a wrong secret or password.
	wrong func(i int) url.Values
	// refused is the status of a wrong attempt.
	refused int
}

func signInForms() []signInForm {
	onPage := func(path string) func(t *testing.T, s *site, secret string) *browser {
		return func(t *testing.T, s *site, secret string) *browser {
			b := s.browser(t)
			b.get(path).wantStatus(http.StatusOK)
			return b
		}
	}
	return []signInForm{
		{"ConsoleLogin", "/console/login", onPage("/console/login"), func(i int) url.Values {
			return url.Values{"username": {adminUsername}, "password": {fmt.Sprintf("wrong-%03d", i)}}
		}, http.StatusUnauthorized},
		{"AccountLogin", "/account/login", onPage("/account/login"), func(i int) url.Values {
			return url.Values{"clientId": {"acme_1"}, "clientSecret": {fmt.Sprintf("wrong-%03d", i)}}
		}, http.StatusUnauthorized},
		{"AccountSecret", "/account/secret", func(t *testing.T, s *site, secret string) *browser {
			b := s.signInClient(t, "acme_1", secret)
			b.get("/account/secret").wantStatus(http.StatusOK)
			return b
		}, func(i int) url.Values {
			return url.Values{"currentSecret": {fmt.Sprintf("wrong-%03d", i)}, "newSecret": {"a-brand-new-secret-42"}}
		}, http.StatusUnprocessableEntity},
	}
}

// Forty simultaneous wrong attempts at one account through a sign-in form
// are hashed at most the allowance's 10 times; the other 30 are refused
// 429 with Retry-After, before any hashing.
func TestSignInFormsBurst(t *testing.T) {
	t.Parallel()
	for _, form := range signInForms() {
		t.Run(form.name, func(t *testing.T) {
			t.Parallel()
			s := newSite(t, nil)
			secret := seedAdaAccount(t, s)
			browsers := make([]*browser, 40)
			for i := range browsers {
				browsers[i] = form.open(t, s, secret)
			}
			h := authtest.Wrap(s.svc.Hasher)
			h.Delay = 5 * time.Millisecond
			s.svc.Hasher = h
			statuses := authtest.Burst(len(browsers), func(i int) int {
				p := browsers[i].post(form.action, form.wrong(i))
				if p.Status == http.StatusTooManyRequests {
					wantRetryAfter(t, p.Header)
				}
				return p.Status
			})
			if statuses[form.refused] != 10 || statuses[http.StatusTooManyRequests] != 30 {
				t.Errorf("statuses = %v, want 10 %ds and 30 429s", statuses, form.refused)
			}
			if n := h.Compares(); n > 10 {
				t.Errorf("%d hash comparisons, want at most 10", n)
			}
		})
	}
}

// With every turn to hash taken, a sign-in form answers 503 with
// Retry-After and says so, after the short wait.
func TestSignInFormsBusy(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	forms := signInForms()
	browsers := make([]*browser, len(forms))
	for i, form := range forms {
		browsers[i] = form.open(t, s, secret)
	}
	s.svc.HashLimit = auth.NewHashLimit(1, 20*time.Millisecond)
	h := authtest.Holding(s.svc.Hasher)
	s.svc.Hasher = h
	done := make(chan int)
	go func() {
		status, _ := s.jsonCall(t, http.MethodPost, "/auth/login", "", map[string]string{"clientId": "nobody", "clientSecret": "whatever"})
		done <- status
	}()
	<-h.Started

	for i, form := range forms {
		p := browsers[i].post(form.action, form.wrong(i)).wantStatus(http.StatusServiceUnavailable)
		if got := p.Header.Get("Retry-After"); got != "1" {
			t.Errorf("%s: Retry-After = %q, want 1", form.name, got)
		}
		if got, want := p.text("form-error"), "Too many sign-ins at once. Try again in a moment."; got != want {
			t.Errorf("%s: form error = %q, want %q", form.name, got, want)
		}
	}
	close(h.Hold)
	if got := <-done; got != http.StatusUnauthorized {
		t.Errorf("the held sign-in = %d, want 401", got)
	}
}
