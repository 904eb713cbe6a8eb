package call

import (
	"context"
	"slices"
	"testing"

	"github.com/concordhq/concord/api"
)

func TestTokenTravelsInContext(t *testing.T) {
	if _, ok := TokenFrom(context.Background()); ok {
		t.Fatal("TokenFrom(a bare context) says it carries a token")
	}
	for _, secret := range []string{"", "s3cret"} {
		got, ok := TokenFrom(WithToken(context.Background(), secret))
		if !ok || got != secret {
			t.Errorf("TokenFrom(WithToken(%q)) = %q, %v", secret, got, ok)
		}
	}
}

// TestRegisterCoversServiceAndChecks checks that a catalog registration
// names its node, its service and the services of checks on other services.
func TestRegisterCoversServiceAndChecks(t *testing.T) {
	reg := &api.CatalogRegistration{
		Node:    "n1",
		Service: &api.NodeService{ID: "web-1", Service: "web"},
		Check:   &api.HealthCheck{CheckID: "node-ok"},
		Checks: []*api.HealthCheck{
			{CheckID: "web-ok", ServiceID: "web-1", ServiceName: "web"},
			{CheckID: "db-ok", ServiceID: "db-1", ServiceName: "db"},
		},
	}
	got := CatalogRegister.Resources(&RegisterArgs{Reg: reg})
	want := []Resource{{Kind: node, Name: "n1", Access: write}, {Kind: service, Name: "web", Access: write},
		{Kind: service, Name: "db", Access: write}}
	if !slices.Equal(got, want) {
		t.Fatalf("CatalogRegister resources = %+v, want %+v", got, want)
	}
}

func TestSessionWritesNameTheirSession(t *testing.T) {
	for _, d := range []*Desc{SessionDestroy.Desc, SessionRenew.Desc} {
		got := d.Resources(&SessionIDArgs{ID: "abc"})
		if len(got) != 1 || got[0] != (Resource{Kind: session, Access: write, Session: "abc"}) {
			t.Errorf("%s resources = %+v, want a session write naming session abc", d.Name, got)
		}
	}
}
