// Package elevenlabs places calls through ElevenLabs's conversational AI
// (its Twilio outbound-call API), checks and parses its post-call webhooks,
// and simulates all of it for SIMULATE_CALLS. Client and Simulator
// implement switchboard.Dialer.
//
// Errors are *switchboard.Error. A refused request or an unreachable
// ElevenLabs is EINTERNAL, never EUNAUTHORIZED or ETHROTTLED: those codes
// speak about our own caller, and a client whose call failed because of our
// ElevenLabs key must not be told its token is bad. Reason tells the
// failures apart (ReasonKeyRefused, ReasonRefused, ReasonUnavailable) and
// Message is safe to show: it never holds the API key.
package elevenlabs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"switchboard/internal/switchboard"
)

// DefaultBaseURL is ElevenLabs's API.
const DefaultBaseURL = "https://api.elevenlabs.io"

// Reasons of the EINTERNAL errors the Client returns: the domain's.
const (
	ReasonKeyRefused  = switchboard.ReasonProviderKeyRefused
	ReasonRefused     = switchboard.ReasonProviderRefused
	ReasonUnavailable = switchboard.ReasonProviderUnavailable
)

const (
	// maxBody caps what is read of an answer; a transcript is hundreds of
	// KiB at most.
	maxBody = 4 << 20
	// maxTries bounds the tries of a GET (the POST gets exactly one).
	maxTries = 3
	// maxRetryWait: a longer wait (a Retry-After of minutes) is not worth
	// holding a request for; the error is returned with its RetryAfter.
	maxRetryWait = 10 * time.Second
	// maxMessage caps ElevenLabs's message in our errors, which users see.
	maxMessage = 300
)

// Client is ElevenLabs's API over net/http. It is safe for concurrent use;
// set the exported fields before the first call.
type Client struct {
	baseURL string
	apiKey  string
	http    *http.Client

	// Timeout bounds each request whose context has no deadline
	// (default 10 s).
	Timeout time.Duration
	// Backoff returns the wait before retry n (1, 2) of a GET; retryAfter
	// is the answer's Retry-After, 0 when absent. Nil: exponential from
	// 250 ms with full jitter, at least retryAfter. Tests make it short.
	Backoff func(n int, retryAfter time.Duration) time.Duration
}

// New returns a Client for the API at baseURL (DefaultBaseURL when empty)
// sending apiKey. httpClient nil means http.DefaultClient.
func New(baseURL, apiKey string, httpClient *http.Client) *Client {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	return &Client{baseURL: strings.TrimRight(baseURL, "/"), apiKey: apiKey, http: httpClient}
}

var _ switchboard.Dialer = (*Client)(nil)

// PlaceCall asks ElevenLabs to call. It sends exactly one POST, whatever
// happens: a retried POST may dial the same person twice.
func (c *Client) PlaceCall(ctx context.Context, call switchboard.OutboundCall) (switchboard.Dialled, error) {
	in := OutboundCallRequest{AgentID: call.AgentID, AgentPhoneNumberID: call.PhoneNumberID, ToNumber: call.To}
	if len(call.DynamicVariables) > 0 || call.FirstMessage != "" {
		in.ClientData = &ClientData{DynamicVariables: call.DynamicVariables}
		if call.FirstMessage != "" {
			in.ClientData.ConfigOverride = &ConfigOverride{Agent: AgentOverride{FirstMessage: call.FirstMessage}}
		}
	}
	var out OutboundCallResponse
	err := c.do(ctx, http.MethodPost, "/v1/convai/twilio/outbound-call", in, &out, "ElevenLabs does not know this agent or phone number")
	if err != nil {
		return switchboard.Dialled{}, err
	}
	if !out.Success {
		msg := c.clean(out.Message)
		if msg == "" {
			msg = "ElevenLabs refused the call"
		}
		return switchboard.Dialled{}, &switchboard.Error{Code: switchboard.EINTERNAL, Reason: ReasonRefused, Message: msg}
	}
	return switchboard.Dialled{ConversationID: out.ConversationID, CallSID: out.CallSID}, nil
}

// PhoneNumbers lists the numbers imported into ElevenLabs.
func (c *Client) PhoneNumbers(ctx context.Context) ([]switchboard.PhoneNumber, error) {
	var items []PhoneNumberItem
	if err := c.do(ctx, http.MethodGet, "/v1/convai/phone-numbers", nil, &items, "ElevenLabs has no phone numbers"); err != nil {
		return nil, err
	}
	numbers := make([]switchboard.PhoneNumber, 0, len(items))
	for _, it := range items {
		n := switchboard.PhoneNumber{
			Number: it.PhoneNumber, ID: it.PhoneNumberID, Provider: it.Provider, SupportsOutbound: it.SupportsOutbound,
		}
		if it.AssignedAgent != nil {
			n.AssignedAgentID = it.AssignedAgent.AgentID
		}
		numbers = append(numbers, n)
	}
	return numbers, nil
}

// Agent returns the agent, ENOTFOUND if ElevenLabs does not know it.
func (c *Client) Agent(ctx context.Context, agentID string) (*switchboard.Agent, error) {
	var out AgentResponse
	if err := c.do(ctx, http.MethodGet, "/v1/convai/agents/"+url.PathEscape(agentID), nil, &out, "ElevenLabs does not know this agent"); err != nil {
		return nil, err
	}
	if out.AgentID == "" {
		out.AgentID = agentID
	}
	return &switchboard.Agent{ID: out.AgentID, Name: out.Name}, nil
}

// Conversation reads a conversation, ENOTFOUND if ElevenLabs does not know
// it.
func (c *Client) Conversation(ctx context.Context, conversationID string) (*switchboard.CallResult, error) {
	var out Conversation
	if err := c.do(ctx, http.MethodGet, "/v1/convai/conversations/"+url.PathEscape(conversationID), nil, &out, "ElevenLabs does not know this conversation"); err != nil {
		return nil, err
	}
	if out.ConversationID == "" {
		out.ConversationID = conversationID
	}
	r := out.Result()
	return &r, nil
}

// do sends one request (a GET up to maxTries times) and decodes a 2xx
// answer into out. notFound is the message of a 404 or 422 that carries
// none.
func (c *Client) do(ctx context.Context, method, path string, in, out any, notFound string) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return c.fail("ElevenLabs request could not be encoded", ReasonRefused, err)
		}
	}
	tries := 1
	if method == http.MethodGet {
		tries = maxTries
	}
	for n := 1; ; n++ {
		status, header, data, err := c.once(ctx, method, path, body)
		if err == nil && status/100 == 2 {
			if err := json.Unmarshal(data, out); err != nil {
				return c.fail("ElevenLabs sent an answer we cannot read", ReasonUnavailable, err)
			}
			return nil
		}
		ferr := c.failure(status, header, data, err, notFound)
		retryable := err != nil || status == http.StatusTooManyRequests || status >= 500
		if n == tries || !retryable || ctx.Err() != nil {
			return ferr
		}
		wait := c.backoff(n, retryAfter(header))
		if deadline, ok := ctx.Deadline(); wait > maxRetryWait || ok && time.Until(deadline) < wait {
			return ferr
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ferr
		case <-t.C:
		}
	}
}

// once sends one request and reads the answer, at most maxBody of it.
func (c *Client) once(ctx context.Context, method, path string, body []byte) (int, http.Header, []byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		timeout := c.Timeout
		if timeout <= 0 {
			timeout = 10 * time.Second
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("xi-api-key", c.apiKey)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err == nil && len(data) > maxBody {
		err = errors.New("answer larger than 4 MiB")
	}
	return resp.StatusCode, resp.Header, data, err
}

// failure turns a failed try into the error the caller gets.
func (c *Client) failure(status int, header http.Header, data []byte, err error, notFound string) error {
	if err != nil {
		if status != 0 {
			return c.fail(fmt.Sprintf("ElevenLabs's answer (HTTP %d) could not be read", status), ReasonUnavailable, err)
		}
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return c.fail("ElevenLabs did not answer in time", ReasonUnavailable, err)
		}
		return c.fail("ElevenLabs could not be reached", ReasonUnavailable, err)
	}
	msg := c.clean(detailMessage(data))
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return &switchboard.Error{Code: switchboard.EINTERNAL, Reason: ReasonKeyRefused, Message: "ElevenLabs refused the API key", Details: msg}
	case status == http.StatusNotFound || status == http.StatusUnprocessableEntity:
		if msg == "" {
			msg = notFound
		}
		return &switchboard.Error{Code: switchboard.ENOTFOUND, Message: msg}
	case status == http.StatusTooManyRequests || status >= 500:
		return &switchboard.Error{
			Code: switchboard.EINTERNAL, Reason: ReasonUnavailable, Details: msg, RetryAfter: retryAfter(header),
			Message: fmt.Sprintf("ElevenLabs is unavailable (HTTP %d)", status),
		}
	}
	if msg == "" {
		msg = fmt.Sprintf("ElevenLabs refused the request (HTTP %d)", status)
	}
	return &switchboard.Error{Code: switchboard.EINTERNAL, Reason: ReasonRefused, Message: msg}
}

// fail returns an EINTERNAL error with a safe message that wraps cause, for
// the log and for errors.Is(err, context.DeadlineExceeded). A cause that
// would show the key is replaced by its redacted text.
func (c *Client) fail(message, reason string, cause error) error {
	if c.apiKey != "" && strings.Contains(cause.Error(), c.apiKey) {
		cause = errors.New(c.clean(cause.Error()))
	}
	return fmt.Errorf("%w: %w", &switchboard.Error{Code: switchboard.EINTERNAL, Reason: reason, Message: message}, cause)
}

// clean makes ElevenLabs's text fit for an error a user sees: never the
// key, valid UTF-8, one line, not too long.
func (c *Client) clean(s string) string {
	if c.apiKey != "" {
		s = strings.ReplaceAll(s, c.apiKey, "[redacted]")
	}
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "?")), " ")
	if utf8.RuneCountInString(s) > maxMessage {
		s = string([]rune(s)[:maxMessage]) + "…"
	}
	return s
}

// detailMessage reads ElevenLabs's error body: {"detail": {"status",
// "message"}}, {"detail": "..."}, or FastAPI's validation list
// {"detail": [{"msg": "..."}]}.
func detailMessage(data []byte) string {
	var body struct {
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(data, &body) != nil || len(body.Detail) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(body.Detail, &s) == nil {
		return s
	}
	var obj struct{ Message, Status string }
	if json.Unmarshal(body.Detail, &obj) == nil {
		if obj.Message != "" {
			return obj.Message
		}
		return obj.Status
	}
	var list []struct{ Msg string }
	if json.Unmarshal(body.Detail, &list) == nil && len(list) > 0 {
		return list[0].Msg
	}
	return ""
}

// retryAfter reads Retry-After, in seconds or as an HTTP date; 0 if absent.
func retryAfter(h http.Header) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

func (c *Client) backoff(n int, retryAfter time.Duration) time.Duration {
	if c.Backoff != nil {
		return c.Backoff(n, retryAfter)
	}
	// Full jitter: clients that failed together do not retry together.
	d := rand.N(250 * time.Millisecond << (n - 1))
	return max(d, retryAfter)
}
