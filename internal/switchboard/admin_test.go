package switchboard

import "testing"

func TestCan(t *testing.T) {
	actions := []Action{ReadClients, ReadCalls, ReadActivity, ChangeClients, ChangeCalls, ManageTeam}
	want := map[Role][]bool{
		RoleOwner:    {true, true, true, true, true, true},
		RoleOperator: {true, true, true, true, true, false},
		RoleViewer:   {true, true, true, false, false, false},
		"":           {false, false, false, false, false, false},
		"god":        {false, false, false, false, false, false},
	}
	for role, allowed := range want {
		for i, a := range actions {
			if got := Can(role, a); got != allowed[i] {
				t.Errorf("Can(%q, %q) = %v, want %v", role, a, got, allowed[i])
			}
		}
		if Can(role, "launch missiles") {
			t.Errorf("Can(%q, unknown action) = true", role)
		}
	}
}
