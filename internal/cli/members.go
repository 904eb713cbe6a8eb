package cli

import (
	"cmp"
	"context"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/concordhq/concord/api"
)

const membersUsage = `
Usage: concord members [options]

  Lists the members of the agent's gossip pool as this agent sees them:
  servers first, then client agents, each by name. A member is alive,
  leaving, left or failed; failed members stay listed while gossip keeps
  trying to reach them.

      $ concord members
      $ concord members -status=failed
      $ concord members -detailed

  Exits 2 when no member matches.
`

// memberStatus names AgentMember.Status values as serf does.
var memberStatus = map[int]string{0: "none", 1: "alive", 2: "leaving", 3: "left", 4: "failed"}

// runMembers is `concord members`.
func runMembers(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(membersUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	detailed := fs.Bool("detailed", false, "Print every gossip tag of each member instead of the summary columns.")
	status := fs.String("status", ".*", "List only members whose status matches this regular expression.")
	wan := fs.Bool("wan", false, "List the WAN pool: the servers of every datacenter, as \"<node>.<datacenter>\".")
	fs.String("segment", "", "Accepted for compatibility; Concord has no network segments.")
	c, err := parseAndConnect(ctx, fs, &hf, args)
	if err != nil {
		return err
	}
	statusRe, err := regexp.Compile(*status)
	if err != nil {
		return verbatimf("Failed to compile status regexp: %v", err)
	}
	list := c.Agent().Members
	if *wan {
		list = c.Agent().MembersWAN
	}
	members, err := list()
	if err != nil {
		return verbatimf("Error retrieving members: %v", err)
	}
	members = slices.DeleteFunc(members, func(m *api.AgentMember) bool {
		return !statusRe.MatchString(memberStatus[m.Status])
	})
	if len(members) == 0 {
		return silentExit(2)
	}
	sortMembers(members)
	writeTable(stdout, 2, memberRows(members, *detailed))
	return nil
}

// sortMembers orders servers before client agents, then by name.
func sortMembers(members []*api.AgentMember) {
	slices.SortFunc(members, func(a, b *api.AgentMember) int {
		if sa, sb := isServer(a), isServer(b); sa != sb {
			if sa {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Name, b.Name)
	})
}

func isServer(m *api.AgentMember) bool { return m.Tags["role"] == "consul" }

// memberRows is the table members prints, header first.
func memberRows(members []*api.AgentMember, detailed bool) [][]string {
	if detailed {
		rows := [][]string{{"Node", "Address", "Status", "Tags"}}
		for _, m := range members {
			rows = append(rows, []string{m.Name, memberAddr(m), memberStatus[m.Status], formatTags(m.Tags)})
		}
		return rows
	}
	rows := [][]string{{"Node", "Address", "Status", "Type", "Build", "Protocol", "DC", "Partition", "Segment"}}
	for _, m := range members {
		typ, segment := "client", m.Tags["segment"]
		if segment == "" {
			segment = "<default>"
		}
		if isServer(m) {
			typ, segment = "server", "<all>"
		}
		build, _, _ := strings.Cut(m.Tags["build"], ":")
		partition := m.Tags["ap"]
		if partition == "" {
			partition = "default"
		}
		rows = append(rows, []string{m.Name, memberAddr(m), memberStatus[m.Status], typ, build,
			m.Tags["vsn"], m.Tags["dc"], partition, segment})
	}
	return rows
}

func memberAddr(m *api.AgentMember) string {
	return m.Addr + ":" + strconv.Itoa(int(m.Port))
}

// formatTags prints tags as k=v pairs in key order, comma-separated.
func formatTags(tags map[string]string) string {
	var pairs []string
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		pairs = append(pairs, k+"="+tags[k])
	}
	return strings.Join(pairs, ",")
}
