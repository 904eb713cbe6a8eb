package config_test

import (
	"strings"
	"testing"

	"github.com/concordhq/concord/internal/config"
)

func TestNodeIDFromFlagAndFile(t *testing.T) {
	c, err := config.Parse([]string{"-dev", "-node-id=8F246B77-F3E1-FF88-5B48-8EC93ABF3E05"})
	if err != nil {
		t.Fatal(err)
	}
	if c.NodeID != "8f246b77-f3e1-ff88-5b48-8ec93abf3e05" {
		t.Fatalf("NodeID = %q, want the UUID in lower case", c.NodeID)
	}
	c, err = config.Parse([]string{"-dev", `-hcl=node_id = "01fd5fa6-e97e-bd90-b94e-e9232140caf0"`})
	if err != nil || c.NodeID != "01fd5fa6-e97e-bd90-b94e-e9232140caf0" {
		t.Fatalf("node_id in HCL: %q, %v", c.NodeID, err)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("node_id is honoured, yet warned about: %v", c.Warnings)
	}
	_, err = config.Parse([]string{"-dev", "-node-id=web-1"})
	if err == nil || !strings.Contains(err.Error(), "UUID") {
		t.Fatalf("a node ID that is not a UUID: %v, want an error naming UUID", err)
	}
}
