package calling

import (
	"context"
	"fmt"

	"switchboard/internal/switchboard"
)

// Check is what the provider says of a client's calling set-up.
type Check struct {
	// Verified is false when the provider could not be asked; Problem says why.
	Verified bool
	Problem  string

	AgentFound bool
	AgentName  string

	NumberImported   bool
	SupportsOutbound bool
	// AssignedAgentID is the agent the number answers for in the provider;
	// AssignedToAgent tells whether that is the client's agent.
	AssignedAgentID string
	AssignedToAgent bool
}

// Ready reports whether calls can be placed with this set-up.
func (c *Check) Ready() bool {
	return c.Verified && c.AgentFound && c.NumberImported && c.SupportsOutbound
}

// Check asks the provider whether agentID exists and whether number is
// imported, can call out and is assigned to that agent. ErrNotConfigured
// when calling is off. A provider that cannot be reached is not an error:
// the check says "not verified" and why.
func (s *Service) Check(ctx context.Context, agentID, number string) (*Check, error) {
	if s.Dialer == nil {
		return nil, ErrNotConfigured
	}
	out := &Check{Verified: true}
	agent, err := s.Dialer.Agent(ctx, agentID)
	switch switchboard.ErrorCode(err) {
	case "":
		out.AgentFound, out.AgentName = true, agent.Name
	case switchboard.ENOTFOUND:
	default:
		return &Check{Problem: "ElevenLabs could not be asked: " + switchboard.ErrorMessage(err)}, nil
	}
	n, err := s.findNumber(ctx, number, agentID, true)
	if err != nil {
		return &Check{Problem: switchboard.ErrorMessage(err)}, nil
	}
	if n != nil {
		out.NumberImported, out.SupportsOutbound = true, n.SupportsOutbound
		out.AssignedAgentID, out.AssignedToAgent = n.AssignedAgentID, n.AssignedAgentID == agentID
	}
	return out, nil
}

// VerifySetup refuses, as EINVALID naming the field, an agent the provider
// says does not exist and a number it does not know, for a client being
// created or changed. When calling is off or the provider cannot be
// reached, it refuses nothing: the change is saved and the calling check
// says "not verified".
func (s *Service) VerifySetup(ctx context.Context, agentID, number string) error {
	if s.Dialer == nil {
		return nil
	}
	check, err := s.Check(ctx, agentID, number)
	if err != nil || !check.Verified {
		return nil
	}
	fields := map[string]string{}
	var first string
	if !check.AgentFound {
		first = fmt.Sprintf("agentId %q does not exist in ElevenLabs", agentID)
		fields["agentId"] = first
	}
	if !check.NumberImported {
		msg := fmt.Sprintf("twilioPhoneNumber %s is not imported into ElevenLabs", number)
		fields["twilioPhoneNumber"] = msg
		if first == "" {
			first = msg
		}
	}
	if first == "" {
		return nil
	}
	return &switchboard.Error{Code: switchboard.EINVALID, Message: first, Fields: fields}
}
