package elevenlabs

import (
	"math"
	"time"

	"switchboard/internal/switchboard"
)

// The JSON ElevenLabs sends and receives. The types are exported so that
// the fake (elevenlabstest) and the Simulator write exactly what the Client
// and ParseWebhook read.

// OutboundCallRequest is the body of POST /v1/convai/twilio/outbound-call.
type OutboundCallRequest struct {
	AgentID            string      `json:"agent_id"`
	AgentPhoneNumberID string      `json:"agent_phone_number_id"`
	ToNumber           string      `json:"to_number"`
	ClientData         *ClientData `json:"conversation_initiation_client_data,omitempty"`
}

// ClientData is what the conversation starts with: the agent prompt's
// variables and, when set, a first message replacing the agent's own.
type ClientData struct {
	DynamicVariables map[string]any  `json:"dynamic_variables,omitempty"`
	ConfigOverride   *ConfigOverride `json:"conversation_config_override,omitempty"`
}

// ConfigOverride overrides parts of the agent's configuration for one call.
type ConfigOverride struct {
	Agent AgentOverride `json:"agent"`
}

// AgentOverride holds the agent settings a call overrides.
type AgentOverride struct {
	FirstMessage string `json:"first_message"`
}

// OutboundCallResponse is ElevenLabs's answer to an outbound call. The ids
// are null when Success is false.
type OutboundCallResponse struct {
	Success        bool   `json:"success"`
	Message        string `json:"message"`
	ConversationID string `json:"conversation_id"`
	CallSID        string `json:"callSid"`
}

// PhoneNumberItem is one item of GET /v1/convai/phone-numbers.
type PhoneNumberItem struct {
	PhoneNumber      string         `json:"phone_number"`
	PhoneNumberID    string         `json:"phone_number_id"`
	Label            string         `json:"label,omitempty"`
	Provider         string         `json:"provider"`
	SupportsOutbound bool           `json:"supports_outbound"`
	AssignedAgent    *AssignedAgent `json:"assigned_agent"` // null: no agent
}

// AssignedAgent is the agent that answers and calls from a number.
type AssignedAgent struct {
	AgentID   string `json:"agent_id"`
	AgentName string `json:"agent_name"`
}

// AgentResponse is the part of GET /v1/convai/agents/{agent_id} we read.
type AgentResponse struct {
	AgentID string `json:"agent_id"`
	Name    string `json:"name"`
}

// Conversation is a conversation as GET /v1/convai/conversations/{id}
// answers it and as the post_call_transcription webhook carries it.
type Conversation struct {
	AgentID        string                `json:"agent_id,omitempty"`
	ConversationID string                `json:"conversation_id"`
	Status         string                `json:"status"` // initiated | in-progress | processing | done | failed
	Transcript     []TranscriptEntry     `json:"transcript"`
	Metadata       ConversationMetadata  `json:"metadata"`
	Analysis       *ConversationAnalysis `json:"analysis"`
}

// TranscriptEntry is one turn of a conversation. Message is null for turns
// that only call tools; those are left out of the result.
type TranscriptEntry struct {
	Role           string  `json:"role"` // "agent" or "user"
	Message        string  `json:"message"`
	TimeInCallSecs float64 `json:"time_in_call_secs"` // a number; a fraction would be read too
}

// ConversationMetadata holds the call's timing and how it ended.
type ConversationMetadata struct {
	StartTimeUnixSecs int64   `json:"start_time_unix_secs,omitempty"`
	CallDurationSecs  float64 `json:"call_duration_secs"`
	TerminationReason string  `json:"termination_reason,omitempty"`
}

// ConversationAnalysis is ElevenLabs's judgement of a finished conversation.
type ConversationAnalysis struct {
	CallSuccessful    string `json:"call_successful"` // success | failure | unknown
	TranscriptSummary string `json:"transcript_summary"`
}

// Conversation statuses.
const (
	StatusInitiated  = "initiated"
	StatusInProgress = "in-progress"
	StatusProcessing = "processing"
	StatusDone       = "done"
	StatusFailed     = "failed"
)

// Result maps the conversation to the domain. An unknown status leaves
// Status empty ("not reported") rather than guessing.
func (c Conversation) Result() switchboard.CallResult {
	var status switchboard.CallStatus
	switch c.Status {
	case StatusDone:
		status = switchboard.CallCompleted
	case StatusFailed:
		status = switchboard.CallFailed
	case StatusInitiated:
		status = switchboard.CallInitiated
	case StatusInProgress, StatusProcessing:
		status = switchboard.CallInProgress
	}
	return c.result(status)
}

// transcriptionResult is the outcome a post-call webhook reports: the
// conversation is over, so anything but done is a failure.
func (c Conversation) transcriptionResult() switchboard.CallResult {
	if c.Status == StatusDone {
		return c.result(switchboard.CallCompleted)
	}
	return c.result(switchboard.CallFailed)
}

func (c Conversation) result(status switchboard.CallStatus) switchboard.CallResult {
	r := switchboard.CallResult{
		ConversationID:    c.ConversationID,
		Status:            status,
		Duration:          int(math.Round(c.Metadata.CallDurationSecs)),
		TerminationReason: c.Metadata.TerminationReason,
	}
	if c.Metadata.StartTimeUnixSecs > 0 {
		start := time.Unix(c.Metadata.StartTimeUnixSecs, 0).UTC()
		r.StartTime = &start
		// The duration is final only once the call is; before that it is
		// 0 or a running count.
		if r.Status.Final() {
			end := start.Add(time.Duration(r.Duration) * time.Second)
			r.EndTime = &end
		}
	}
	if c.Analysis != nil {
		r.Outcome = c.Analysis.CallSuccessful
		r.Summary = c.Analysis.TranscriptSummary
	}
	if r.Status == switchboard.CallFailed {
		r.Error = failedError(r.TerminationReason)
	}
	for _, e := range c.Transcript {
		if e.Message == "" {
			continue
		}
		r.Transcript = append(r.Transcript, switchboard.TranscriptTurn{
			Role: e.Role, Message: e.Message, TimeInCallSecs: int(math.Round(e.TimeInCallSecs)),
		})
	}
	return r
}

// failedError says why a conversation failed, in ElevenLabs's words when it
// gave any.
func failedError(terminationReason string) string {
	if terminationReason != "" {
		return terminationReason
	}
	return "The call failed"
}
