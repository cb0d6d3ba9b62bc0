package api_test

import (
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/api"
	"switchboard/internal/elevenlabs"
	"switchboard/internal/elevenlabs/elevenlabstest"
	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

// TestMakeCall: a client places a call; the answer, what ElevenLabs was
// asked (agent, phone number id, number, variables, key), what is stored
// and the audit trail.
func TestMakeCall(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		secret := cs.admin("POST", "/admin/clients", `{"clientId":"acme","clientMeta":{"fullName":"Ada Lovelace",`+
			`"email":"ada@example.com","phone":"+12125551234","businessName":"Acme Ltd","city":"London","jobTitle":"Founder"},`+
			`"agentId":"agent_1","twilioPhoneNumber":"+18001234567"}`).wantStatus(201).str("client.clientSecret")
		token := cs.login("acme", secret)
		before := len(cs.fake.Requests())

		res := cs.makeCall(token, `{"phone":"+14155550100","dynamicVariables":{"plan":"gold","seats":3,"vip":true}}`).wantStatus(200)
		callID, conv, sid := res.str("callId"), res.str("conversationId"), res.str("callSid")
		res.wantBodyWithRequestID(200, jsonOf(t, map[string]any{
			"success": true, "message": "Call initiated successfully", "callId": callID, "conversationId": conv, "callSid": sid,
		}))
		if !switchboard.ValidCallID(callID) {
			t.Errorf("callId %q is not a call id", callID)
		}

		// One request: the number's id came from the list read when the
		// client was created.
		reqs := cs.fake.Requests()[before:]
		if len(reqs) != 1 {
			t.Fatalf("ElevenLabs got %d requests, want 1: %+v", len(reqs), reqs)
		}
		got := reqs[0]
		if got.Method != "POST" || got.Path != "/v1/convai/twilio/outbound-call" || got.APIKey != elevenlabstest.DefaultKey {
			t.Errorf("request %s %s with key %q", got.Method, got.Path, got.APIKey)
		}
		want := &elevenlabs.OutboundCallRequest{
			AgentID: testAgentID, AgentPhoneNumberID: testNumberID, ToNumber: "+14155550100",
			ClientData: &elevenlabs.ClientData{DynamicVariables: map[string]any{
				"plan": "gold", "seats": float64(3), "vip": true,
				"full_name": "Ada Lovelace", "business_name": "Acme Ltd", "city": "London", "job_title": "Founder",
				"email": "ada@example.com", "switchboard_call_id": callID,
			}},
		}
		if !reflect.DeepEqual(got.Call, want) {
			t.Errorf("ElevenLabs was asked\n%s\nwant\n%s", got.Body, jsonOf(t, want))
		}
		if strings.Contains(string(got.Body), "conversation_config_override") {
			t.Errorf("no first message was given, yet one was sent: %s", got.Body)
		}
		for _, r := range cs.fake.Requests() {
			if r.APIKey != elevenlabstest.DefaultKey {
				t.Errorf("%s %s sent key %q", r.Method, r.Path, r.APIKey)
			}
		}

		placed := placedCall{ID: callID, ConversationID: conv, CallSID: sid, ClientID: "acme", To: "+14155550100", At: testStart}
		detail := placed.wire()
		detail["transcript"] = []any{}
		cs.do("GET", "/secure/calls/"+callID, token, "").wantStatus(200).wantBody(jsonOf(t, detail))
		cs.wantCallEvents(
			"client:acme call.queued "+callID+": queued",
			"client:acme call.status_changed "+callID+": queued → initiated",
		)

		// The caller's own X-Request-ID is the one quoted.
		req := httptest.NewRequest("POST", "/secure/make-call", strings.NewReader(`{"phone":"+14155550100"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("X-Request-ID", "order-4711")
		res = cs.send(req).wantStatus(200)
		if res.str("requestId") != "order-4711" || res.Header.Get("X-Request-ID") != "order-4711" {
			t.Errorf("requestId %q, header %q, want the caller's order-4711", res.str("requestId"), res.Header.Get("X-Request-ID"))
		}

		// A first message overrides the agent's, for that call only.
		cs.clock.Advance(time.Minute)
		res = cs.makeCall(token, `{"phone":"+14155550101","firstMessage":"Hello from Acme!"}`).wantStatus(200)
		calls := cs.fake.Calls()
		second := calls[len(calls)-1].Call
		if second.ClientData == nil || second.ClientData.ConfigOverride == nil ||
			second.ClientData.ConfigOverride.Agent.FirstMessage != "Hello from Acme!" {
			t.Errorf("first message not sent: %s", calls[len(calls)-1].Body)
		}
		if v := second.ClientData.DynamicVariables; len(v) != 6 || v["switchboard_call_id"] != res.str("callId") {
			t.Errorf("dynamic variables = %v, want the profile's and the call id", v)
		}
		cs.do("GET", "/secure/calls/"+res.str("callId"), token, "").wantStatus(200).
			wantFields(map[string]any{"firstMessage": "Hello from Acme!", "to": "+14155550101"})
	})
}

// TestMakeCall_CallerIDCannotBeOverridden: no member of the body changes
// the agent, the caller id, the number's id, the number called or the
// variables the service sets.
func TestMakeCall_CallerIDCannotBeOverridden(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		cs.fake.AddAgent("agent_evil", "Mallory's agent")
		cs.fake.AddPhoneNumber(switchboard.PhoneNumber{Number: "+19005550000", ID: "phnum_evil", SupportsOutbound: true, AssignedAgentID: "agent_evil"})
		token := cs.client("acme")

		res := cs.makeCall(token, `{"phone":"+14155550100",
			"agentId":"agent_evil","agent_id":"agent_evil","agent":"agent_evil",
			"twilioPhoneNumber":"+19005550000","from":"+19005550000","callerId":"+19005550000",
			"agent_phone_number_id":"phnum_evil","agentPhoneNumberId":"phnum_evil",
			"to":"+19005550001","to_number":"+19005550001","clientId":"other","requestedBy":"admin:root",
			"conversation_initiation_client_data":{"dynamic_variables":{"switchboard_call_id":"call_evil"}},
			"dynamicVariables":{"switchboard_call_id":"call_evil","full_name":"Mallory","business_name":"Evil Inc",
				"city":"Nowhere","job_title":"Impostor","email":"mallory@example.com","note":"kept"}}`).wantStatus(200)
		callID := res.str("callId")

		calls := cs.fake.Calls()
		if len(calls) != 1 {
			t.Fatalf("%d calls dialled", len(calls))
		}
		got := calls[0].Call
		if got.AgentID != testAgentID || got.AgentPhoneNumberID != testNumberID || got.ToNumber != "+14155550100" {
			t.Errorf("dialled agent %q, number id %q, to %q", got.AgentID, got.AgentPhoneNumberID, got.ToNumber)
		}
		wantVars := map[string]any{
			"switchboard_call_id": callID, "full_name": "Test Client", "business_name": "", "city": "", "job_title": "",
			"email": "acme@example.com", "note": "kept",
		}
		if !reflect.DeepEqual(got.ClientData.DynamicVariables, wantVars) {
			t.Errorf("dynamic variables = %v, want %v", got.ClientData.DynamicVariables, wantVars)
		}
		call := cs.storedCall(callID)
		if call.From != testNumber || call.AgentID != testAgentID || call.To != "+14155550100" ||
			call.ClientID != "acme" || call.RequestedBy != "client" {
			t.Errorf("stored from %q agent %q to %q client %q by %q", call.From, call.AgentID, call.To, call.ClientID, call.RequestedBy)
		}
	})
}

// TestMakeCall_Invalid: a request that is not a valid call is refused
// with its reason and the request's id; nothing is stored or dialled.
func TestMakeCall_Invalid(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		token := cs.client("acme")
		vars := make([]string, 21)
		for i := range vars {
			vars[i] = fmt.Sprintf(`"v%d":"x"`, i)
		}
		const phoneFormat = `{"error":"Phone number must be in E.164 format (e.g., +12125551234)"}`
		badName := func(name string) string {
			return `{"error":"dynamicVariables: \"` + name + `\" is not a valid name (1 to 64 letters, digits or _, not starting with system__)"}`
		}
		textProblem := func(field, problem string) string {
			msg := field + " " + problem
			return jsonOf(t, map[string]any{"error": "Failed to initiate call", "details": msg, "fields": map[string]string{field: msg}})
		}
		for _, tt := range []struct{ name, body, want string }{
			{"no body", ``, `{"error":"Destination phone number is required"}`},
			{"no phone", `{"firstMessage":"hi"}`, `{"error":"Destination phone number is required"}`},
			{"blank phone", `{"phone":"   "}`, `{"error":"Destination phone number is required"}`},
			{"national format", `{"phone":"(212) 555-1234"}`, phoneFormat},
			{"no plus", `{"phone":"12125551234"}`, phoneFormat},
			{"leading zero", `{"phone":"+0212555123"}`, phoneFormat},
			{"too long", `{"phone":"+1234567890123456"}`, phoneFormat},
			{"21 variables", `{"phone":"+14155550100","dynamicVariables":{` + strings.Join(vars, ",") + `}}`,
				`{"error":"dynamicVariables may hold at most 20 variables"}`},
			{"bad name", `{"phone":"+14155550100","dynamicVariables":{"first-name":"x"}}`, badName("first-name")},
			{"name too long", `{"phone":"+14155550100","dynamicVariables":{"` + strings.Repeat("a", 65) + `":"x"}}`, badName(strings.Repeat("a", 65))},
			{"reserved name", `{"phone":"+14155550100","dynamicVariables":{"system__x":"x"}}`, badName("system__x")},
			{"nested object", `{"phone":"+14155550100","dynamicVariables":{"address":{"city":"Paris"}}}`,
				`{"error":"dynamicVariables.address must be a string, a number or true/false"}`},
			{"array", `{"phone":"+14155550100","dynamicVariables":{"tags":["a"]}}`,
				`{"error":"dynamicVariables.tags must be a string, a number or true/false"}`},
			{"null", `{"phone":"+14155550100","dynamicVariables":{"tag":null}}`,
				`{"error":"dynamicVariables.tag must be a string, a number or true/false"}`},
			{"phone not a string", `{"phone":14155550100}`,
				`{"error":"Invalid request body","details":"phone must be a string","fields":{"phone":"must be a string"}}`},
			{"variables not an object", `{"phone":"+14155550100","dynamicVariables":["a"]}`,
				`{"error":"Invalid request body","details":"dynamicVariables must be an object","fields":{"dynamicVariables":"must be an object"}}`},
			{"name twice", `{"phone":"+14155550100","dynamicVariables":{"x":"a","x":"b"}}`,
				`{"error":"Invalid JSON body","details":"jsontext: duplicate object member name \"x\" within \"/dynamicVariables\""}`},
			// Text problems name the field, as in every other form of the API.
			{"value too long", `{"phone":"+14155550100","dynamicVariables":{"x":"` + strings.Repeat("a", 1001) + `"}}`,
				textProblem("dynamicVariables.x", "is too long (at most 1000 characters)")},
			{"invisible character", `{"phone":"+14155550100","dynamicVariables":{"x":"a\u200bb"}}`,
				textProblem("dynamicVariables.x", "contains an invisible formatting character (U+200B)")},
			{"first message too long", `{"phone":"+14155550100","firstMessage":"` + strings.Repeat("a", 1001) + `"}`,
				textProblem("firstMessage", "is too long (at most 1000 characters)")},
			{"control character", `{"phone":"+14155550100","firstMessage":"a\u0000b"}`,
				textProblem("firstMessage", "contains a control character")},
		} {
			t.Run(tt.name, func(t *testing.T) {
				cs.with(t).makeCall(token, tt.body).wantBodyWithRequestID(400, tt.want)
			})
		}
		cs.wantNothingPlaced()
	})
}

// TestMakeCall_DoNotCall: a number on the client's list is never dialled.
func TestMakeCall_DoNotCall(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		token := cs.client("acme")
		cs.do("POST", "/secure/do-not-call", token, `{"phone":"+14155550100"}`).wantStatus(201)
		cs.makeCall(token, `{"phone":"+14155550100"}`).
			wantBodyWithRequestID(403, `{"error":"This number is on the do-not-call list"}`)
		// The admin's make-call is refused alike.
		cs.admin("POST", "/admin/clients/acme/make-call", `{"phone":"+14155550100"}`).
			wantBodyWithRequestID(403, `{"error":"This number is on the do-not-call list"}`)
		cs.wantNothingPlaced()

		// Off the list, it can be called again.
		cs.do("DELETE", "/secure/do-not-call/%2B14155550100", token, "").wantStatus(200)
		cs.placeCall("acme", token, "+14155550100")
	})
}

// TestMakeCall_CallingHours: outside the client's window (in its time
// zone, start inclusive, end exclusive) a call is refused saying the
// window in words; inside it goes through.
func TestMakeCall_CallingHours(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		token := cs.client("acme")
		cs.admin("PUT", "/admin/clients/acme", `{"calling":{"hours":{"timezone":"America/New_York",`+
			`"start":"09:00","end":"17:00","days":["Mon","Tue","Wed","Thu","Fri"]}}}`).wantStatus(200)
		const outside = `{"error":"Outside calling hours","details":"Calls may be placed Mon–Fri 09:00–17:00 (America/New_York)"}`

		for _, tt := range []struct {
			name string
			at   time.Time // 2025-03-17 is a Monday; New York is UTC-4 then
			ok   bool
		}{
			{"before opening", time.Date(2025, 3, 17, 12, 59, 0, 0, time.UTC), false},
			{"at opening", time.Date(2025, 3, 17, 13, 0, 0, 0, time.UTC), true},
			{"last minute", time.Date(2025, 3, 17, 20, 59, 0, 0, time.UTC), true},
			{"at closing", time.Date(2025, 3, 17, 21, 0, 0, 0, time.UTC), false},
			{"Saturday", time.Date(2025, 3, 22, 15, 0, 0, 0, time.UTC), false},
			{"opening time in UTC, not in New York", time.Date(2025, 3, 17, 9, 30, 0, 0, time.UTC), false},
			{"before summer time, 13:30 UTC is 08:30", time.Date(2025, 3, 7, 13, 30, 0, 0, time.UTC), false},
			{"Friday afternoon", time.Date(2025, 3, 21, 18, 0, 0, 0, time.UTC), true},
		} {
			t.Run(tt.name, func(t *testing.T) {
				cs := cs.with(t)
				cs.clock.Set(tt.at)
				n := len(cs.storedCalls())
				res := cs.makeCall(token, `{"phone":"+14155550100"}`)
				if tt.ok {
					res.wantStatus(200)
					return
				}
				res.wantBodyWithRequestID(403, outside)
				if len(cs.storedCalls()) != n {
					t.Error("a refused call was stored")
				}
			})
		}
		if got := len(cs.fake.Calls()); got != 3 {
			t.Errorf("%d calls dialled, want the 3 inside the window", got)
		}
	})
}

// TestMakeCall_HourlyLimit: once maxCallsPerHour calls were placed in the
// last hour, the next is refused with 429 and Retry-After (when the oldest
// of them turns an hour old), and nothing more is dialled.
func TestMakeCall_HourlyLimit(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		token := cs.client("acme")
		cs.admin("PUT", "/admin/clients/acme", `{"calling":{"maxCallsPerHour":2}}`).wantStatus(200)
		const spent = `{"error":"Hourly call limit reached","details":"This client may place at most 2 calls per hour"}`

		cs.placeCall("acme", token, "+14155550100")
		cs.clock.Advance(10 * time.Minute)
		cs.placeCall("acme", token, "+14155550101")
		cs.clock.Advance(10 * time.Minute)
		res := cs.makeCall(token, `{"phone":"+14155550102"}`).wantBodyWithRequestID(429, spent)
		if got := res.Header.Get("Retry-After"); got != "2400" {
			t.Errorf("Retry-After = %q, want 2400 (the first call turns an hour old in 40 minutes)", got)
		}
		// The admin's calls count too.
		cs.admin("POST", "/admin/clients/acme/make-call", `{"phone":"+14155550102"}`).wantBodyWithRequestID(429, spent)
		cs.wantPlaced(2)

		// An hour after the first call, one more may go.
		cs.clock.Advance(40 * time.Minute)
		cs.placeCall("acme", token, "+14155550102")
		res = cs.makeCall(token, `{"phone":"+14155550103"}`).wantBodyWithRequestID(429, spent)
		if got := res.Header.Get("Retry-After"); got != "600" {
			t.Errorf("Retry-After = %q, want 600", got)
		}
		// Another client's limit is its own.
		cs.placeCall("other", cs.client("other"), "+14155550103")
	})
}

// TestMakeCall_HourlyLimitConcurrent: calls placed at once never exceed
// the limit together; the rest get 429 and are neither stored nor dialled.
func TestMakeCall_HourlyLimitConcurrent(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		token := cs.client("acme")
		cs.admin("PUT", "/admin/clients/acme", `{"calling":{"maxCallsPerHour":3}}`).wantStatus(200)
		const attempts = 12
		statuses := make([]int, attempts)
		var wg sync.WaitGroup
		for i := range attempts {
			wg.Go(func() {
				req := httptest.NewRequest("POST", "/secure/make-call", strings.NewReader(fmt.Sprintf(`{"phone":"+141555501%02d"}`, i)))
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := cs.app.Test(req, -1)
				if err != nil {
					t.Error(err)
					return
				}
				wantDocumented(t, req, res)
				statuses[i] = res.StatusCode
			})
		}
		wg.Wait()
		counts := map[int]int{}
		for _, st := range statuses {
			counts[st]++
		}
		if counts[200] != 3 || counts[429] != attempts-3 {
			t.Errorf("statuses %v, want 3 placed and the rest 429", counts)
		}
		cs.wantPlaced(3)
	})
}

// TestMakeCall_NumberNotSetUp: a client whose number ElevenLabs does not
// list, or lists without outbound calls, gets 409; nothing is stored.
func TestMakeCall_NumberNotSetUp(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		// Created while ElevenLabs could not be asked, so not refused then.
		cs.fake.FailGets(3, elevenlabstest.Failure{Status: 503, Message: "down"})
		secret := cs.admin("POST", "/admin/clients", callClientJSON("missing", testAgentID, "+18005550000")).wantStatus(201).str("client.clientSecret")
		missing := cs.login("missing", secret)
		cs.makeCall(missing, `{"phone":"+14155550100"}`).wantBodyWithRequestID(409,
			`{"error":"The client's Twilio number is not set up in ElevenLabs","details":"+18005550000 is not among the phone numbers imported into ElevenLabs"}`)

		cs.fake.AddPhoneNumber(switchboard.PhoneNumber{Number: "+18005550001", ID: "phnum_in", AssignedAgentID: testAgentID})
		secret = cs.admin("POST", "/admin/clients", callClientJSON("inbound", testAgentID, "+18005550001")).wantStatus(201).str("client.clientSecret")
		cs.makeCall(cs.login("inbound", secret), `{"phone":"+14155550100"}`).wantBodyWithRequestID(409,
			`{"error":"The client's Twilio number is not set up in ElevenLabs","details":"+18005550001 is imported into ElevenLabs but does not support outbound calls"}`)
		cs.wantNothingPlaced()

		// Once imported, the number is found without restarting anything.
		cs.fake.AddPhoneNumber(switchboard.PhoneNumber{Number: "+18005550000", ID: "phnum_new", SupportsOutbound: true})
		cs.makeCall(missing, `{"phone":"+14155550100"}`).wantStatus(200)
		if calls := cs.fake.Calls(); len(calls) != 1 || calls[0].Call.AgentPhoneNumberID != "phnum_new" {
			t.Errorf("dialled %+v, want one call from phnum_new", calls)
		}
	})
}

// TestMakeCall_ProviderRefuses: when ElevenLabs refuses, the caller gets
// 502 with ElevenLabs's reason (never the API key), the call is stored as
// failed with that reason, and the POST is not retried.
func TestMakeCall_ProviderRefuses(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		token := cs.client("acme")
		for i, tt := range []struct {
			name    string
			failure elevenlabstest.Failure
			reason  string
		}{
			{"refused with 200", elevenlabstest.Failure{Status: 200, Message: "Twilio refused the call for key " + elevenlabstest.DefaultKey},
				"Twilio refused the call for key [redacted]"},
			{"refused with 400", elevenlabstest.Failure{Status: 400, Message: "to_number is not reachable"}, "to_number is not reachable"},
			{"server error", elevenlabstest.Failure{Status: 500, Message: "internal"},
				"ElevenLabs could not be reached or did not answer in time: the call may not have been placed"},
			{"throttled", elevenlabstest.Failure{Status: 429, Message: "too many concurrent calls", RetryAfter: "1"},
				"ElevenLabs could not be reached or did not answer in time: the call may not have been placed"},
			{"key refused", elevenlabstest.Failure{Status: 401, Message: "invalid key " + elevenlabstest.DefaultKey},
				"ElevenLabs refused the API key"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				cs := cs.with(t)
				cs.clock.Advance(time.Minute)
				cs.fake.FailCalls(1, tt.failure)
				res := cs.makeCall(token, `{"phone":"+14155550100"}`).
					wantBodyWithRequestID(502, jsonOf(t, map[string]string{"error": "Failed to initiate call", "details": tt.reason}))
				if strings.Contains(string(res.Body), elevenlabstest.DefaultKey) {
					t.Errorf("the API key is in the answer: %s", res.Body)
				}
				if n := len(cs.fake.Calls()); n != i+1 {
					t.Errorf("ElevenLabs was asked %d times in all, want %d: a refused call is never retried", n, i+1)
				}
				// The refused call is on record, failed, with the reason.
				list := cs.do("GET", "/secure/calls?limit=1", token, "").wantStatus(200)
				list.wantFields(map[string]any{"total": float64(i + 1)})
				got := list.get("callHistory").([]any)[0].(map[string]any)
				for k, v := range map[string]any{"status": "failed", "error": tt.reason, "conversationId": nil, "callSid": nil,
					"duration": float64(0), "createdAt": apiTime(cs.clock.Now())} {
					if !reflect.DeepEqual(got[k], v) {
						t.Errorf("%s = %#v, want %#v", k, got[k], v)
					}
				}
				id := got["callId"].(string)
				events := cs.callEvents()
				if want := []string{"client:acme call.queued " + id + ": queued", "client:acme call.status_changed " + id + ": queued → failed"}; !reflect.DeepEqual(events[len(events)-2:], want) {
					t.Errorf("events end with %q, want %q", events[len(events)-2:], want)
				}
			})
		}
		if strings.Contains(cs.log.String(), elevenlabstest.DefaultKey) {
			t.Error("the API key is in the log")
		}

		// The list of numbers, read again once it is five minutes old,
		// cannot be read: nothing is dialled or stored.
		cs.clock.Advance(5 * time.Minute)
		calls, dialled := len(cs.storedCalls()), len(cs.fake.Calls())
		cs.fake.FailGets(3, elevenlabstest.Failure{Status: 503, Message: "down"})
		cs.makeCall(token, `{"phone":"+14155550100"}`).wantBodyWithRequestID(502, `{"error":"Failed to initiate call",`+
			`"details":"ElevenLabs's phone numbers could not be read: ElevenLabs is unavailable (HTTP 503)"}`)
		if len(cs.storedCalls()) != calls || len(cs.fake.Calls()) != dialled {
			t.Error("a call was stored or dialled without the number's id")
		}
	})
}

// TestMakeCall_NotConfigured: without a Dialer, make-call and the calling
// check answer 503, and everything else works.
func TestMakeCall_NotConfigured(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServerWith(t, s, func(srv *api.Server) { srv.Calling.Dialer = nil })
		// No one asks ElevenLabs whether the agent exists.
		secret := cs.admin("POST", "/admin/clients", callClientJSON("acme", "agent_unknown", "+18005550000")).wantStatus(201).str("client.clientSecret")
		token := cs.login("acme", secret)
		cs.makeCall(token, `{"phone":"+14155550100"}`).wantBodyWithRequestID(503, `{"error":"Calling is not configured"}`)
		cs.admin("POST", "/admin/clients/acme/make-call", `{"phone":"+14155550100"}`).wantBodyWithRequestID(503, `{"error":"Calling is not configured"}`)
		cs.admin("GET", "/admin/clients/acme/calling-check", "").wantStatus(503).wantBody(`{"error":"Calling is not configured"}`)
		cs.do("GET", "/secure/calls", token, "").wantStatus(200).
			wantBody(`{"clientId":"acme","total":0,"filtered":0,"limit":50,"offset":0,"callHistory":[]}`)
		cs.do("POST", "/secure/do-not-call", token, `{"phone":"+14155550100"}`).wantStatus(201)
		if n := len(cs.fake.Requests()); n != 0 {
			t.Errorf("ElevenLabs got %d requests", n)
		}
		cs.wantNothingPlaced()
	})
}

// TestAdminMakeCall: the admin places a call for an active client, on
// record as requested by the admin; a client that is not active is refused.
func TestAdminMakeCall(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		token := cs.client("acme")
		res := cs.admin("POST", "/admin/clients/acme/make-call", `{"phone":"+14155550100","firstMessage":"Hi"}`).wantStatus(200)
		callID := res.str("callId")
		res.wantBodyWithRequestID(200, jsonOf(t, map[string]any{
			"success": true, "message": "Call initiated successfully", "callId": callID,
			"conversationId": res.str("conversationId"), "callSid": res.str("callSid"),
		}))
		got := cs.fake.Calls()[0].Call
		if got.AgentID != testAgentID || got.AgentPhoneNumberID != testNumberID || got.ClientData.DynamicVariables["full_name"] != "Test Client" {
			t.Errorf("dialled %+v", got)
		}
		// The client sees it among its calls.
		cs.do("GET", "/secure/calls/"+callID, token, "").wantStatus(200).
			wantFields(map[string]any{"requestedBy": "admin:admin", "firstMessage": "Hi", "status": "initiated"})
		cs.wantCallEvents(
			"admin:admin call.queued "+callID+": queued",
			"admin:admin call.status_changed "+callID+": queued → initiated",
		)

		cs.do("POST", "/admin/clients/acme/make-call", token, `{"phone":"+14155550101"}`).wantStatus(403)
		// Refusals quote the request's id too, as the client's do.
		quoted := func(res *response) string {
			t.Helper()
			id := res.Header.Get("X-Request-ID")
			if id == "" || res.str("requestId") != id {
				t.Errorf("requestId %q, want the X-Request-ID header %q", res.str("requestId"), id)
			}
			return `,"requestId":"` + id + `"}`
		}
		for _, status := range []string{"Suspended", "Inactive"} {
			cs.admin("PUT", "/admin/clients/acme", `{"status":"`+status+`"}`).wantStatus(200)
			res := cs.admin("POST", "/admin/clients/acme/make-call", `{"phone":"+14155550101"}`).wantStatus(403)
			res.wantBody(`{"error":"Client is not active (status: ` + status + `)"` + quoted(res))
		}
		res = cs.admin("POST", "/admin/clients/nobody/make-call", `{"phone":"+14155550101"}`).wantStatus(404)
		res.wantBody(`{"error":"Client not found"` + quoted(res))
		cs.wantPlaced(1)
	})
}

// TestCallHistory: GET /secure/calls lists the client's calls newest first,
// with the count of all and of those the status filter keeps, by limit and
// offset within their bounds.
func TestCallHistory(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		token := cs.client("acme")
		c1 := cs.placeCall("acme", token, "+14155550101")
		cs.clock.Advance(time.Minute)
		c2 := cs.placeCall("acme", token, "+14155550102")
		cs.clock.Advance(time.Minute)
		c3 := cs.placeCall("acme", token, "+14155550103")
		cs.clock.Advance(time.Minute)
		cs.webhook(cs.transcription(c1.ConversationID, 42, "success")).wantStatus(200)
		cs.webhook(elevenlabstest.InitiationFailureEvent(c2.ConversationID, "busy")).wantStatus(200)

		w1, w2, w3 := c1.wire(), c2.wire(), c3.wire()
		done := apiTime(cs.clock.Now())
		started := apiTime(cs.clock.Now().Add(-time.Minute))
		for k, v := range map[string]any{"status": "completed", "startTime": started, "duration": 42, "outcome": "success",
			"endTime": apiTime(cs.clock.Now().Add(-time.Minute + 42*time.Second)),
			"summary": "The user agreed to a follow-up.", "terminationReason": "Call ended by remote party", "updatedAt": done} {
			w1[k] = v
		}
		for k, v := range map[string]any{"status": "failed", "error": "The line was busy", "duration": 0, "updatedAt": done} {
			w2[k] = v
		}
		list := func(calls ...map[string]any) []map[string]any { return calls }

		cs.do("GET", "/secure/calls", token, "").wantStatus(200).wantBody(jsonOf(t, map[string]any{
			"clientId": "acme", "total": 3, "filtered": 3, "limit": 50, "offset": 0, "callHistory": list(w3, w2, w1)}))
		cs.do("GET", "/secure/calls?status=completed", token, "").wantStatus(200).wantBody(jsonOf(t, map[string]any{
			"clientId": "acme", "total": 3, "filtered": 1, "limit": 50, "offset": 0, "callHistory": list(w1)}))
		cs.do("GET", "/secure/calls?status=queued", token, "").wantStatus(200).wantBody(
			`{"clientId":"acme","total":3,"filtered":0,"limit":50,"offset":0,"callHistory":[]}`)
		cs.do("GET", "/secure/calls?limit=1&offset=1", token, "").wantStatus(200).wantBody(jsonOf(t, map[string]any{
			"clientId": "acme", "total": 3, "filtered": 3, "limit": 1, "offset": 1, "callHistory": list(w2)}))
		cs.do("GET", "/secure/calls?limit=200&offset=2", token, "").wantStatus(200).wantBody(jsonOf(t, map[string]any{
			"clientId": "acme", "total": 3, "filtered": 3, "limit": 200, "offset": 2, "callHistory": list(w1)}))
		cs.do("GET", "/secure/calls?offset=3", token, "").wantStatus(200).wantBody(
			`{"clientId":"acme","total":3,"filtered":3,"limit":50,"offset":3,"callHistory":[]}`)
		// The admin reads the same listing per client.
		cs.admin("GET", "/admin/clients/acme/calls?status=failed", "").wantStatus(200).wantBody(jsonOf(t, map[string]any{
			"clientId": "acme", "total": 3, "filtered": 1, "limit": 50, "offset": 0, "callHistory": list(w2)}))
		cs.admin("GET", "/admin/clients/nobody/calls", "").wantStatus(404).wantBody(`{"error":"Client not found"}`)

		const limitMsg = "limit must be a whole number from 1 to 200"
		const offsetMsg = "offset must be a whole number from 0 to 1073741824"
		const statusMsg = "status must be one of queued, initiated, in-progress, completed, failed"
		for _, tt := range []struct{ query, field, msg string }{
			{"limit=0", "limit", limitMsg}, {"limit=201", "limit", limitMsg}, {"limit=-1", "limit", limitMsg},
			{"limit=ten", "limit", limitMsg}, {"limit=1.5", "limit", limitMsg},
			{"offset=-1", "offset", offsetMsg}, {"offset=x", "offset", offsetMsg},
			{"status=done", "status", statusMsg}, {"status=COMPLETED", "status", statusMsg},
		} {
			want := jsonOf(t, map[string]any{"error": "Failed to fetch calls", "details": tt.msg, "fields": map[string]string{tt.field: tt.msg}})
			cs.do("GET", "/secure/calls?"+tt.query, token, "").wantStatus(400).wantBody(want)
			cs.admin("GET", "/admin/clients/acme/calls?"+tt.query, "").wantStatus(400).wantBody(want)
		}
	})
}

// TestCallDetail: one call with its transcript; an unknown, malformed or
// another client's id is "not found" alike.
func TestCallDetail(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		token := cs.client("acme")
		other := cs.client("other")
		c := cs.placeCall("acme", token, "+14155550100")
		mine := cs.placeCall("other", other, "+14155550100")
		cs.clock.Advance(2 * time.Minute)
		cs.webhook(cs.transcription(c.ConversationID, 42, "success")).wantStatus(200)

		want := c.wire()
		for k, v := range map[string]any{"status": "completed", "duration": 42, "outcome": "success",
			"startTime": apiTime(cs.clock.Now().Add(-time.Minute)), "endTime": apiTime(cs.clock.Now().Add(-18 * time.Second)),
			"summary": "The user agreed to a follow-up.", "terminationReason": "Call ended by remote party",
			"updatedAt": apiTime(cs.clock.Now()),
			"transcript": []map[string]any{
				{"role": "agent", "message": "Hello, do you have a minute?", "timeInCallSecs": 0},
				{"role": "user", "message": "Yes, go ahead.", "timeInCallSecs": 4},
			}} {
			want[k] = v
		}
		cs.do("GET", "/secure/calls/"+c.ID, token, "").wantStatus(200).wantBody(jsonOf(t, want))
		cs.admin("GET", "/admin/calls/"+c.ID, "").wantStatus(200).wantBody(jsonOf(t, want))

		for _, id := range []string{
			"call_000000000000000000000000", // well formed, unknown
			mine.ID,                         // the other client's
			"nope", "call_", "call_ZZZZZZZZZZZZZZZZZZZZZZZZ", strings.ToUpper(c.ID[5:]), c.ID + "0",
			"%27%20OR%201=1", "call_000000000000000000000000%00",
		} {
			cs.do("GET", "/secure/calls/"+id, token, "").wantStatus(404).wantBody(`{"error":"Call not found"}`)
		}
		cs.admin("GET", "/admin/calls/call_000000000000000000000000", "").wantStatus(404).wantBody(`{"error":"Call not found"}`)
		cs.admin("GET", "/admin/calls/nope", "").wantStatus(404).wantBody(`{"error":"Call not found"}`)
		// The other client reads its own.
		cs.do("GET", "/secure/calls/"+mine.ID, other, "").wantStatus(200).wantFields(map[string]any{"clientId": "other"})
	})
}

// TestCalls_OtherClients: a client's calls, statistics and do-not-call
// list are invisible to every other client.
func TestCalls_OtherClients(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		a := cs.client("alpha")
		b := cs.client("bravo")
		for i := range 3 {
			c := cs.placeCall("alpha", a, fmt.Sprintf("+1415555010%d", i))
			cs.webhook(cs.transcription(c.ConversationID, 30, "success")).wantStatus(200)
		}
		cs.do("POST", "/secure/do-not-call", a, `{"phone":"+14155550199"}`).wantStatus(201)

		cs.do("GET", "/secure/calls", b, "").wantStatus(200).wantBody(`{"clientId":"bravo","total":0,"filtered":0,"limit":50,"offset":0,"callHistory":[]}`)
		cs.do("GET", "/secure/calls?status=completed", b, "").wantStatus(200).wantFields(map[string]any{"total": float64(0), "filtered": float64(0)})
		cs.do("GET", "/secure/call-stats", b, "").wantStatus(200).wantBody(emptyStats("bravo"))
		cs.do("GET", "/secure/do-not-call", b, "").wantStatus(200).wantBody(`{"clientId":"bravo","doNotCall":[]}`)
		cs.admin("GET", "/admin/clients/bravo/calls", "").wantStatus(200).wantFields(map[string]any{"total": float64(0)})
		cs.admin("GET", "/admin/calls?clientId=bravo", "").wantStatus(200).wantBody(`{"calls":[],"nextCursor":null}`)
		for _, c := range cs.storedCalls() {
			cs.do("GET", "/secure/calls/"+c.ID, b, "").wantStatus(404).wantBody(`{"error":"Call not found"}`)
		}
		// alpha's do-not-call list does not bind bravo, nor can bravo remove from it.
		cs.do("DELETE", "/secure/do-not-call/+14155550199", b, "").wantStatus(404)
		cs.placeCall("bravo", b, "+14155550199")
		cs.do("GET", "/secure/do-not-call", a, "").wantStatus(200).wantFields(map[string]any{"doNotCall": []any{
			map[string]any{"phone": "+14155550199", "createdAt": apiTime(testStart)}}})
		cs.do("GET", "/secure/calls", a, "").wantStatus(200).wantFields(map[string]any{"total": float64(3)})
		cs.do("GET", "/secure/call-stats", a, "").wantStatus(200).wantFields(map[string]any{"stats.totalCalls": float64(3)})
	})
}

// emptyStats is the statistics of a client with no calls.
func emptyStats(clientID string) string {
	return `{"clientId":"` + clientID + `","stats":{"totalCalls":0,` +
		`"callsByStatus":{"queued":0,"initiated":0,"in-progress":0,"completed":0,"failed":0},` +
		`"callsByOutcome":{"success":0,"failure":0,"unknown":0},"totalDuration":0,"averageDuration":0}}`
}

// TestCalls_DeletedClient: a deleted client's calls stay on record for the
// admin, and no client reads them, not a new one with the same clientId.
func TestCalls_DeletedClient(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		old := cs.placeCall("acme", cs.client("acme"), "+14155550100")
		cs.clock.Advance(time.Minute)
		cs.admin("DELETE", "/admin/clients/acme", "").wantStatus(200)
		// A webhook for the deleted client's call is still applied.
		cs.webhook(cs.transcription(old.ConversationID, 20, "success")).wantStatus(200)

		cs.admin("GET", "/admin/calls/"+old.ID, "").wantStatus(200).
			wantFields(map[string]any{"clientId": "acme", "status": "completed"})
		res := cs.admin("GET", "/admin/calls?clientId=acme", "").wantStatus(200).wantFields(map[string]any{"nextCursor": nil})
		if got := listedIDs(res, "calls"); !reflect.DeepEqual(got, []string{old.ID}) {
			t.Errorf("admin listing of acme = %v, want the deleted client's call", got)
		}
		cs.admin("GET", "/admin/clients/acme/calls", "").wantStatus(404).wantBody(`{"error":"Client not found"}`)

		token := cs.client("acme")
		cs.do("GET", "/secure/calls", token, "").wantStatus(200).
			wantBody(`{"clientId":"acme","total":0,"filtered":0,"limit":50,"offset":0,"callHistory":[]}`)
		cs.do("GET", "/secure/calls/"+old.ID, token, "").wantStatus(404).wantBody(`{"error":"Call not found"}`)
		cs.do("GET", "/secure/call-stats", token, "").wantStatus(200).wantBody(emptyStats("acme"))
		cs.admin("GET", "/admin/clients/acme/calls", "").wantStatus(200).wantFields(map[string]any{"total": float64(0)})

		cs.clock.Advance(time.Minute)
		fresh := cs.placeCall("acme", token, "+14155550100")
		res = cs.do("GET", "/secure/calls", token, "").wantStatus(200).wantFields(map[string]any{"total": float64(1)})
		if got := listedIDs(res, "callHistory"); !reflect.DeepEqual(got, []string{fresh.ID}) {
			t.Errorf("the new client lists %v, want its own call only", got)
		}
		res = cs.admin("GET", "/admin/calls?clientId=acme", "").wantStatus(200)
		if got := listedIDs(res, "calls"); !reflect.DeepEqual(got, []string{fresh.ID, old.ID}) {
			t.Errorf("admin listing of acme = %v, want the new call then the old", got)
		}
		cs.admin("GET", "/admin/dashboard", "").wantStatus(200).wantFields(map[string]any{"calls.total": float64(2)})
	})
}

// TestCallStats: the statistics count statuses and outcomes and add up
// durations after the webhooks; averageDuration is over every call.
func TestCallStats(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		token := cs.client("acme")
		cs.do("GET", "/secure/call-stats", token, "").wantStatus(200).wantBody(emptyStats("acme"))

		calls := make([]placedCall, 5)
		for i := range calls {
			calls[i] = cs.placeCall("acme", token, fmt.Sprintf("+1415555010%d", i))
		}
		cs.webhook(cs.transcription(calls[0].ConversationID, 42, "success")).wantStatus(200)
		cs.webhook(cs.transcription(calls[1].ConversationID, 30, "failure")).wantStatus(200)
		cs.webhook(elevenlabstest.InitiationFailureEvent(calls[2].ConversationID, "no-answer")).wantStatus(200)
		cs.webhook(elevenlabstest.TranscriptionEvent(calls[3].ConversationID, func(c *elevenlabs.Conversation) {
			c.Status, c.Metadata.CallDurationSecs, c.Analysis.CallSuccessful = elevenlabs.StatusFailed, 5, "unknown"
		})).wantStatus(200)
		// calls[4] is still initiated; another client's call counts for it alone.
		cs.placeCall("other", cs.client("other"), "+14155550100")

		cs.do("GET", "/secure/call-stats", token, "").wantStatus(200).wantBody(`{"clientId":"acme","stats":{"totalCalls":5,` +
			`"callsByStatus":{"queued":0,"initiated":1,"in-progress":0,"completed":2,"failed":2},` +
			`"callsByOutcome":{"success":1,"failure":1,"unknown":1},"totalDuration":77,"averageDuration":15.4}}`)
	})
}

// TestAdminCalls: every client's calls, newest first, by keyset pages that
// never overlap or skip, even when calls are placed while paging.
func TestAdminCalls(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		tokens := map[string]string{"alpha": cs.client("alpha"), "bravo": cs.client("bravo")}
		// Several calls share a time, so the order also rests on the callId.
		var placed []placedCall
		for i, who := range []string{"alpha", "alpha", "bravo", "alpha", "bravo", "alpha", "bravo"} {
			if i == 3 || i == 5 {
				cs.clock.Advance(time.Minute)
			}
			placed = append(placed, cs.placeCall(who, tokens[who], fmt.Sprintf("+1415555010%d", i)))
		}
		cs.webhook(elevenlabstest.InitiationFailureEvent(placed[1].ConversationID, "busy")).wantStatus(200)
		cs.webhook(elevenlabstest.InitiationFailureEvent(placed[2].ConversationID, "busy")).wantStatus(200)

		newestFirst := func(who, status string) []string {
			ids := []string{}
			for _, c := range cs.storedCalls() { // the store's order, checked below against the times
				if (who == "" || c.ClientID == who) && (status == "" || string(c.Status) == status) {
					ids = append(ids, c.ID)
				}
			}
			return ids
		}
		all := newestFirst("", "")
		if len(all) != 7 {
			t.Fatalf("%d calls stored", len(all))
		}
		for i := 1; i < len(all); i++ {
			a, b := cs.storedCall(all[i-1]), cs.storedCall(all[i])
			if a.CreatedAt.Before(b.CreatedAt) || a.CreatedAt.Equal(b.CreatedAt) && a.ID < b.ID {
				t.Errorf("%s (%s) listed before %s (%s)", a.ID, a.CreatedAt, b.ID, b.CreatedAt)
			}
		}

		for _, tt := range []struct{ query, who, status string }{
			{"", "", ""}, {"clientId=alpha", "alpha", ""}, {"clientId=bravo", "bravo", ""},
			{"status=failed", "", "failed"}, {"clientId=bravo&status=initiated", "bravo", "initiated"},
			{"clientId=nobody", "nobody", ""},
		} {
			for _, limit := range []int{1, 2, 3, 7, 200} {
				got := cs.pages(fmt.Sprintf("/admin/calls?%s&limit=%d", tt.query, limit), limit)
				if want := newestFirst(tt.who, tt.status); !reflect.DeepEqual(got, want) {
					t.Errorf("%s by %d: %v, want %v", tt.query, limit, got, want)
				}
			}
		}

		// A call placed between two pages shows on none of the later ones.
		first := cs.admin("GET", "/admin/calls?limit=3", "").wantStatus(200)
		cs.clock.Advance(time.Minute)
		late := cs.placeCall("alpha", tokens["alpha"], "+14155550199")
		rest := cs.pages("/admin/calls?limit=3&cursor="+first.str("nextCursor"), 3)
		if !reflect.DeepEqual(rest, all[3:]) {
			t.Errorf("after a new call, the pages went on with %v, want %v", rest, all[3:])
		}
		if got := listedIDs(cs.admin("GET", "/admin/calls?limit=1", "").wantStatus(200), "calls"); !reflect.DeepEqual(got, []string{late.ID}) {
			t.Errorf("first page %v, want the new call", got)
		}

		// A page holds the calls as the API shows them.
		w := placed[0].wire()
		cs.admin("GET", "/admin/calls?clientId=alpha&status=initiated&limit=1&cursor="+cursorAfter(t, cs, placed[0]), "").
			wantStatus(200).wantBody(`{"calls":[],"nextCursor":null}`)
		res := cs.admin("GET", "/admin/calls?limit=200", "").wantStatus(200)
		for _, c := range res.get("calls").([]any) {
			if c.(map[string]any)["callId"] == placed[0].ID && !reflect.DeepEqual(c, decode(t, jsonOf(t, w))) {
				t.Errorf("listed %v, want %v", c, w)
			}
		}

		const cursorMsg = "cursor is not one this API gave"
		for _, q := range []string{"cursor=xyz", "cursor=" + strings.Repeat("A", 100), "cursor=MTIzLmNhbGxfeA"} {
			cs.admin("GET", "/admin/calls?"+q, "").wantStatus(400).wantBody(jsonOf(t, map[string]any{
				"error": "Failed to fetch calls", "details": cursorMsg, "fields": map[string]string{"cursor": cursorMsg}}))
		}
		cs.admin("GET", "/admin/calls?limit=0", "").wantStatus(400)
		cs.admin("GET", "/admin/calls?limit=201", "").wantStatus(400)
		cs.admin("GET", "/admin/calls?status=bogus", "").wantStatus(400)
		cs.do("GET", "/admin/calls", tokens["alpha"], "").wantStatus(403)
	})
}

// pages follows nextCursor from path, checking each page holds at most
// limit calls and only the last has no cursor, and returns the callIds.
func (cs *callServer) pages(path string, limit int) []string {
	cs.t.Helper()
	ids := []string{}
	seen := map[string]bool{}
	for next := path; ; {
		res := cs.admin("GET", next, "").wantStatus(200)
		calls := listedIDs(res, "calls")
		if len(calls) > limit {
			cs.t.Fatalf("%s: %d calls on a page of %d", next, len(calls), limit)
		}
		for _, id := range listedIDs(res, "calls") {
			if seen[id] {
				cs.t.Errorf("%s: %s listed twice", path, id)
			}
			seen[id] = true
			ids = append(ids, id)
		}
		cursor, _ := res.get("nextCursor").(string)
		if cursor == "" {
			return ids
		}
		if len(calls) != limit {
			cs.t.Errorf("%s: a page of %d calls before the last", next, len(calls))
		}
		base, _, _ := strings.Cut(next, "&cursor=")
		next = base + "&cursor=" + cursor
	}
}

// listedIDs returns the callIds of the list at key, in order.
func listedIDs(r *response, key string) []string {
	r.t.Helper()
	ids := []string{}
	for _, c := range r.get(key).([]any) {
		ids = append(ids, c.(map[string]any)["callId"].(string))
	}
	return ids
}

// cursorAfter is the cursor of the page after c, as the API would give it.
func cursorAfter(t testing.TB, cs *callServer, c placedCall) string {
	t.Helper()
	return switchboard.CallCursorOf(cs.storedCall(c.ID)).String()
}

func decode(t testing.TB, s string) any {
	t.Helper()
	r := &response{t: t, Body: []byte(s)}
	return r.json()
}

// TestDashboard: the admin's counts of clients by status and of calls.
func TestDashboard(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		cs.admin("GET", "/admin/dashboard", "").wantStatus(200).wantBody(`{"clients":{"active":0,"inactive":0,"suspended":0,"total":0},` +
			`"calls":{"last24h":0,"total":0,"byStatus":{"queued":0,"initiated":0,"in-progress":0,"completed":0,"failed":0},` +
			`"byOutcome":{"success":0,"failure":0,"unknown":0}}}`)

		token := cs.client("alpha")
		old := cs.placeCall("alpha", token, "+14155550100")
		cs.webhook(cs.transcription(old.ConversationID, 10, "failure")).wantStatus(200)
		cs.clock.Advance(24*time.Hour + time.Second)
		recent := cs.placeCall("alpha", token, "+14155550101")
		cs.webhook(cs.transcription(recent.ConversationID, 10, "success")).wantStatus(200)
		cs.placeCall("bravo", cs.client("bravo"), "+14155550102")
		cs.client("charlie")
		cs.client("delta")
		cs.admin("PUT", "/admin/clients/bravo", `{"status":"Inactive"}`).wantStatus(200)
		cs.admin("PUT", "/admin/clients/charlie", `{"status":"Suspended"}`).wantStatus(200)

		cs.admin("GET", "/admin/dashboard", "").wantStatus(200).wantBody(`{"clients":{"active":2,"inactive":1,"suspended":1,"total":4},` +
			`"calls":{"last24h":2,"total":3,"byStatus":{"queued":0,"initiated":1,"in-progress":0,"completed":2,"failed":0},` +
			`"byOutcome":{"success":1,"failure":1,"unknown":0}}}`)
		cs.do("GET", "/admin/dashboard", token, "").wantStatus(403)
	})
}

// TestCallingCheck: what ElevenLabs says of a client's agent and number.
func TestCallingCheck(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		cs.fake.AddAgent("agent_2", "Support")
		cs.fake.AddPhoneNumber(switchboard.PhoneNumber{Number: "+18005550002", ID: "phnum_2", SupportsOutbound: true, AssignedAgentID: "agent_2"})
		cs.fake.AddPhoneNumber(switchboard.PhoneNumber{Number: "+18005550003", ID: "phnum_3", SupportsOutbound: true})
		cs.fake.AddPhoneNumber(switchboard.PhoneNumber{Number: "+18005550004", ID: "phnum_4", AssignedAgentID: testAgentID})
		cs.client("ready")
		cs.admin("POST", "/admin/clients", callClientJSON("elsewhere", testAgentID, "+18005550002")).wantStatus(201)
		cs.admin("POST", "/admin/clients", callClientJSON("unassigned", testAgentID, "+18005550003")).wantStatus(201)
		cs.admin("POST", "/admin/clients", callClientJSON("inbound", testAgentID, "+18005550004")).wantStatus(201)
		// Saved while ElevenLabs could not be asked.
		cs.fake.FailGets(3, elevenlabstest.Failure{Status: 503})
		cs.admin("POST", "/admin/clients", callClientJSON("noagent", "agent_gone", "+18005550009")).wantStatus(201)

		check := func(id, agent, number string, ready, found bool, name any, imported, outbound bool, assigned any, mine bool) string {
			return jsonOf(t, map[string]any{
				"clientId": id, "agentId": agent, "twilioPhoneNumber": number, "ready": ready, "verified": true, "problem": nil,
				"agent":  map[string]any{"found": found, "name": name},
				"number": map[string]any{"imported": imported, "supportsOutbound": outbound, "assignedAgentId": assigned, "assignedToAgent": mine},
			})
		}
		for _, tt := range []struct{ id, want string }{
			{"ready", check("ready", testAgentID, testNumber, true, true, testAgentName, true, true, testAgentID, true)},
			{"elsewhere", check("elsewhere", testAgentID, "+18005550002", true, true, testAgentName, true, true, "agent_2", false)},
			{"unassigned", check("unassigned", testAgentID, "+18005550003", true, true, testAgentName, true, true, nil, false)},
			{"inbound", check("inbound", testAgentID, "+18005550004", false, true, testAgentName, true, false, testAgentID, true)},
			{"noagent", check("noagent", "agent_gone", "+18005550009", false, false, nil, false, false, nil, false)},
		} {
			cs.admin("GET", "/admin/clients/"+tt.id+"/calling-check", "").wantStatus(200).wantBody(tt.want)
		}

		// ElevenLabs failing every try: not verified, and why.
		cs.fake.FailGets(3, elevenlabstest.Failure{Status: 500, Message: "upstream down"})
		cs.admin("GET", "/admin/clients/ready/calling-check", "").wantStatus(200).wantBody(`{"clientId":"ready","agentId":"agent_1",` +
			`"twilioPhoneNumber":"+18001234567","ready":false,"verified":false,` +
			`"problem":"ElevenLabs could not be asked: ElevenLabs is unavailable (HTTP 500)",` +
			`"agent":{"found":false,"name":null},"number":{"imported":false,"supportsOutbound":false,"assignedAgentId":null,"assignedToAgent":false}}`)
		// One failure is retried and does not show.
		cs.fake.FailGets(1, elevenlabstest.Failure{Status: 502})
		cs.admin("GET", "/admin/clients/ready/calling-check", "").wantStatus(200).
			wantFields(map[string]any{"ready": true, "verified": true, "agent.name": testAgentName})

		cs.admin("GET", "/admin/clients/nobody/calling-check", "").wantStatus(404).wantBody(`{"error":"Client not found"}`)
		for _, r := range cs.fake.Requests() {
			if r.APIKey != elevenlabstest.DefaultKey || r.Method != "GET" {
				t.Errorf("%s %s with key %q", r.Method, r.Path, r.APIKey)
			}
		}
	})
}

// TestClientSetupVerified: with calling configured, creating a client or
// changing its agent or number is refused when ElevenLabs says it does not
// know them, and saved when ElevenLabs cannot be asked.
func TestClientSetupVerified(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		cs.fake.AddAgent("agent_2", "Support")
		cs.fake.AddPhoneNumber(switchboard.PhoneNumber{Number: "+18005550002", ID: "phnum_2", SupportsOutbound: true})
		const noAgent = `agentId "agent_nope" does not exist in ElevenLabs`
		const noNumber = `twilioPhoneNumber +18005559999 is not imported into ElevenLabs`
		refused := func(title, details string, fields map[string]string) string {
			return jsonOf(t, map[string]any{"error": title, "details": details, "fields": fields})
		}

		cs.admin("POST", "/admin/clients", callClientJSON("acme", "agent_nope", testNumber)).wantStatus(400).
			wantBody(refused("Failed to create client", noAgent, map[string]string{"agentId": noAgent}))
		cs.admin("POST", "/admin/clients", callClientJSON("acme", testAgentID, "+18005559999")).wantStatus(400).
			wantBody(refused("Failed to create client", noNumber, map[string]string{"twilioPhoneNumber": noNumber}))
		cs.admin("POST", "/admin/clients", callClientJSON("acme", "agent_nope", "+18005559999")).wantStatus(400).
			wantBody(refused("Failed to create client", noAgent, map[string]string{"agentId": noAgent, "twilioPhoneNumber": noNumber}))
		if n := cs.countClients(); n != 0 {
			t.Fatalf("%d clients stored", n)
		}
		// A client that is invalid anyway gets the validation's message.
		cs.admin("POST", "/admin/clients", strings.Replace(callClientJSON("acme", "agent_nope", testNumber), `"+12125551234"`, `"555"`, 1)).
			wantStatus(400).wantFields(map[string]any{"error": "Failed to create client", "details": "Invalid phone number format"})

		cs.client("acme")
		cs.admin("PUT", "/admin/clients/acme", `{"agentId":"agent_nope"}`).wantStatus(400).
			wantBody(refused("Failed to update client", noAgent, map[string]string{"agentId": noAgent}))
		cs.admin("PUT", "/admin/clients/acme", `{"twilioPhoneNumber":"+18005559999"}`).wantStatus(400).
			wantBody(refused("Failed to update client", noNumber, map[string]string{"twilioPhoneNumber": noNumber}))
		cs.admin("GET", "/admin/clients/acme", "").wantStatus(200).
			wantFields(map[string]any{"agentId": testAgentID, "twilioPhoneNumber": testNumber})
		cs.admin("PUT", "/admin/clients/acme", `{"agentId":"agent_2","twilioPhoneNumber":"+18005550002"}`).wantStatus(200).
			wantFields(map[string]any{"client.agentId": "agent_2", "client.twilioPhoneNumber": "+18005550002"})

		// Other changes do not ask ElevenLabs.
		asked := len(cs.fake.Requests())
		cs.admin("PUT", "/admin/clients/acme", `{"clientMeta":{"city":"Paris"},"agentId":"agent_2"}`).wantStatus(200)
		if n := len(cs.fake.Requests()); n != asked {
			t.Errorf("ElevenLabs was asked %d times for a change of neither agent nor number", n-asked)
		}

		// ElevenLabs out of reach: saved, and the check says so.
		cs.fake.FailGets(6, elevenlabstest.Failure{Status: 503, Message: "maintenance"})
		cs.admin("POST", "/admin/clients", callClientJSON("later", "agent_nope", "+18005559999")).wantStatus(201)
		cs.admin("GET", "/admin/clients/later/calling-check", "").wantStatus(200).wantFields(map[string]any{
			"verified": false, "ready": false, "problem": "ElevenLabs could not be asked: ElevenLabs is unavailable (HTTP 503)"})
		cs.fake.FailGets(3, elevenlabstest.Failure{Status: 503})
		cs.admin("PUT", "/admin/clients/acme", `{"agentId":"agent_nope"}`).wantStatus(200).
			wantFields(map[string]any{"client.agentId": "agent_nope"})
		cs.admin("GET", "/admin/clients/later/calling-check", "").wantStatus(200).
			wantFields(map[string]any{"verified": true, "ready": false, "agent.found": false, "number.imported": false})
	})
}

// TestDoNotCall: a client's list and the admin's view of it: E.164 only,
// adding twice keeps one entry with its first date, removing an absent
// number is 404, and "+" in the path works escaped and raw.
func TestDoNotCall(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		token := cs.client("acme")
		const phoneMsg = "Phone number must be in E.164 format (e.g., +12125551234)"
		badPhone := `{"error":"Failed to change the do-not-call list","details":"` + phoneMsg + `","fields":{"phone":"` + phoneMsg + `"}}`

		for _, who := range []struct{ name, base, token string }{
			{"client", "/secure/do-not-call", token},
			{"admin", "/admin/clients/acme/do-not-call", cs.adminToken},
		} {
			t.Run(who.name, func(t *testing.T) {
				cs := cs.with(t)
				do := func(method, path, body string) *response { return cs.do(method, path, who.token, body) }
				do("GET", who.base, "").wantStatus(200).wantBody(`{"clientId":"acme","doNotCall":[]}`)
				first := cs.clock.Now()
				do("POST", who.base, `{"phone":"+14155550100"}`).wantStatus(201).
					wantBody(`{"message":"Number added to the do-not-call list","phone":"+14155550100"}`)
				cs.clock.Advance(time.Minute)
				do("POST", who.base, `{"phone":"+14155550100"}`).wantStatus(201).
					wantBody(`{"message":"Number added to the do-not-call list","phone":"+14155550100"}`)
				do("POST", who.base, `{"phone":"+442071234567"}`).wantStatus(201)
				do("GET", who.base, "").wantStatus(200).wantBody(jsonOf(t, map[string]any{"clientId": "acme", "doNotCall": []map[string]any{
					{"phone": "+442071234567", "createdAt": apiTime(cs.clock.Now())},
					{"phone": "+14155550100", "createdAt": apiTime(first)},
				}}))
				for _, body := range []string{`{"phone":"4155550100"}`, `{"phone":"+1 415 555 0100"}`, `{"phone":"+0123"}`} {
					do("POST", who.base, body).wantStatus(400).wantBody(badPhone)
				}
				do("POST", who.base, `{}`).wantStatus(400).wantBody(`{"error":"Failed to change the do-not-call list",` +
					`"details":"phone is required","fields":{"phone":"phone is required"}}`)
				do("POST", who.base, `{"phone":5}`).wantStatus(400)

				do("DELETE", who.base+"/%2B14155550100", "").wantStatus(200).
					wantBody(`{"message":"Number removed from the do-not-call list","phone":"+14155550100"}`)
				do("DELETE", who.base+"/%2B14155550100", "").wantStatus(404).wantBody(`{"error":"Number not on the do-not-call list"}`)
				do("DELETE", who.base+"/+442071234567", "").wantStatus(200).
					wantBody(`{"message":"Number removed from the do-not-call list","phone":"+442071234567"}`)
				do("DELETE", who.base+"/+442071234567", "").wantStatus(404)
				for _, p := range []string{"4155550100", "%2B1%20415", "abc"} {
					do("DELETE", who.base+"/"+p, "").wantStatus(400).wantBody(badPhone)
				}
				do("GET", who.base, "").wantStatus(200).wantBody(`{"clientId":"acme","doNotCall":[]}`)
			})
		}

		// What the admin adds binds the client's calls.
		cs.admin("POST", "/admin/clients/acme/do-not-call", `{"phone":"+14155550100"}`).wantStatus(201)
		cs.do("GET", "/secure/do-not-call", token, "").wantStatus(200).wantBody(
			`{"clientId":"acme","doNotCall":[{"phone":"+14155550100","createdAt":"` + apiTime(cs.clock.Now()) + `"}]}`)
		cs.makeCall(token, `{"phone":"+14155550100"}`).wantBodyWithRequestID(403, `{"error":"This number is on the do-not-call list"}`)

		const notFound = `{"error":"Client not found"}`
		cs.admin("GET", "/admin/clients/nobody/do-not-call", "").wantStatus(404).wantBody(notFound)
		cs.admin("POST", "/admin/clients/nobody/do-not-call", `{"phone":"+14155550100"}`).wantStatus(404).wantBody(notFound)
		cs.admin("DELETE", "/admin/clients/nobody/do-not-call/+14155550100", "").wantStatus(404).wantBody(notFound)
		cs.do("GET", "/admin/clients/acme/do-not-call", token, "").wantStatus(403)
		cs.do("GET", "/secure/do-not-call", "", "").wantStatus(401)
		cs.do("GET", "/secure/do-not-call", cs.adminToken, "").wantStatus(403)
	})
}
