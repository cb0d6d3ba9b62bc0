package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"switchboard/internal/openapi"
	"switchboard/internal/store/storetest"
)

// documentRouter finds a request's operation in the OpenAPI document. The
// document's server is the production host; tests send to any host, so the
// router is built on a shallow copy without servers (the shared document
// is not changed).
var documentRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openapi.Load()
	if err != nil {
		return nil, err
	}
	d := *doc
	d.Servers = nil
	return legacy.NewRouter(&d)
})

// checkDocumented validates a response against the operation the document
// gives for its request: the status must be listed, and the body (and the
// Content-Type) must match that status's schema. It is how the document
// cannot drift: every response the api tests receive goes through it.
//
// When the request's body is known (reqBody not nil) and the server took
// the request (2xx), the request must match the document too: what the
// service accepts is what the document describes. Refused requests are not
// checked, since many tests send what the document forbids on purpose.
func checkDocumented(req *http.Request, reqBody []byte, res *response) error {
	router, err := documentRouter()
	if err != nil {
		return fmt.Errorf("openapi.yaml: %v", err)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		return fmt.Errorf("%s %s is not in openapi.yaml: %v", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 res.Status,
		Header:                 res.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(res.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s answered %d against openapi.yaml: %v\nbody: %s", req.Method, req.URL.Path, res.Status, err, res.Body)
	}
	if reqBody == nil || res.Status/100 != 2 {
		return nil
	}
	r := req.Clone(context.Background())
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	if r.Header.Get("Content-Type") == "" && len(reqBody) > 0 {
		// The API reads a body as JSON whatever its Content-Type (see
		// decode), so a body sent without one is checked as JSON.
		r.Header.Set("Content-Type", "application/json")
	}
	reqIn := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if err := openapi3filter.ValidateRequest(context.Background(), reqIn); err != nil {
		return fmt.Errorf("%s %s was accepted (%d) but the request does not match openapi.yaml: %v\nrequest body: %s",
			req.Method, req.URL.Path, res.Status, err, reqBody)
	}
	return nil
}

// wantDocumented checks res, the answer to req from an app of the test's
// own making, the way send checks the harness's, and closes its body.
func wantDocumented(t testing.TB, req *http.Request, res *http.Response) {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkDocumented(req, nil, &response{t: t, Status: res.StatusCode, Header: res.Header, Body: b}); err != nil {
		t.Error(err)
	}
}

// documentedRoutes are "METHOD /path/{param}" for every operation of the document.
func documentedRoutes(t *testing.T) []string {
	t.Helper()
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	sort.Strings(out)
	return out
}

// appRoutes are the same for every route the app registers, with Fiber's
// :param written as {param}; HEAD (which Fiber adds for each GET) and the
// groups' middleware are left out.
func appRoutes(cs *callServer) []string {
	var out []string
	for _, r := range cs.app.GetRoutes(true) {
		if r.Method == http.MethodHead {
			continue
		}
		parts := strings.Split(r.Path, "/")
		for i, p := range parts {
			if strings.HasPrefix(p, ":") {
				parts[i] = "{" + p[1:] + "}"
			}
		}
		out = append(out, r.Method+" "+strings.Join(parts, "/"))
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// Every route the app registers (the calls API included) is in the
// document, and the document names no route the app does not have.
func TestDocumentNamesEveryRoute(t *testing.T) {
	cs := newCallServer(t, storetest.Open(t, "sqlite"))
	app, doc := appRoutes(cs), documentedRoutes(t)
	for _, r := range app {
		if !slices.Contains(doc, r) {
			t.Errorf("%s is registered but not in openapi.yaml", r)
		}
	}
	for _, r := range doc {
		if !slices.Contains(app, r) {
			t.Errorf("openapi.yaml names %s, which the app does not register", r)
		}
	}
}

// The check every api test's responses go through refuses what the
// document does not say: a status it does not list, a member it does not
// have, a member of the wrong type or missing, a path it does not name.
func TestCheckDocumentedRefusesDrift(t *testing.T) {
	call := `{"callId":"call_1","clientId":"acme","status":"initiated","direction":"outbound","to":"+14155550102",` +
		`"from":"+18001234567","agentId":"agent_1","conversationId":null,"callSid":null,"requestedBy":"client",` +
		`"firstMessage":null,"startTime":null,"endTime":null,"duration":null,"outcome":null,"summary":null,` +
		`"terminationReason":null,"error":null,"simulated":false,"createdAt":"2025-03-17T15:00:00.000Z",` +
		`"updatedAt":"2025-03-17T15:00:00.000Z"`
	json := http.Header{"Content-Type": {"application/json"}}
	for _, tc := range []struct {
		name, method, path string
		status             int
		body               string
		ok                 bool
		reqBody            string // "" for none
	}{
		{"documented", "GET", "/secure/calls/call_1", 200, call + `,"transcript":[]}`, true, ""},
		{"extra member", "GET", "/secure/calls/call_1", 200, call + `,"transcript":[],"cost":1}`, false, ""},
		{"missing member", "GET", "/secure/calls/call_1", 200, call + `}`, false, ""},
		{"wrong type", "GET", "/auth/validate", 200, `{"valid":true,"clientId":7}`, false, ""},
		{"unlisted status", "GET", "/auth/validate", 418, `{"error":"teapot"}`, false, ""},
		{"error without error", "GET", "/auth/validate", 401, `{"message":"No token provided"}`, false, ""},
		{"unknown path", "GET", "/secure/nothing", 200, `{}`, false, ""},
		{"accepted request", "POST", "/auth/verify", 200, `{"valid":false,"error":"Invalid token"}`, true, `{"token":"x"}`},
		{"accepted undocumented request", "POST", "/auth/verify", 200, `{"valid":false,"error":"Invalid token"}`, false, `{"token":7}`},
		{"refused request", "POST", "/auth/verify", 400, `{"error":"Token is required"}`, true, `{"token":7}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.reqBody))
			var reqBody []byte
			if tc.reqBody != "" {
				reqBody = []byte(tc.reqBody)
			}
			err := checkDocumented(req, reqBody, &response{t: t, Status: tc.status, Header: json, Body: []byte(tc.body)})
			if (err == nil) != tc.ok {
				t.Errorf("checkDocumented = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

// GET /openapi.json serves the document as a valid OpenAPI 3.1 document.
func TestServesDocument(t *testing.T) {
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	res := ts.do("GET", "/openapi.json", "", "").wantStatus(200)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
	doc, err := openapi3.NewLoader().LoadFromData(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q", doc.OpenAPI)
	}
	for _, r := range documentedRoutes(t) {
		method, path, _ := strings.Cut(r, " ")
		if doc.Paths.Find(path) == nil || doc.Paths.Find(path).GetOperation(method) == nil {
			t.Errorf("the served document lacks %s", r)
		}
	}
}
