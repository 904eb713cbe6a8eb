package api

// PreparedQuery is a stored service query (/v1/query), run later by its ID
// or its name. A query whose Template has a Type is a template: it answers
// every name that starts with its Name, and its Service fields are
// interpolated with parts of the name asked for.
type PreparedQuery struct {
	ID string
	// Name is what the query is executed by besides its ID: unique among
	// queries, without regard to case. Only a session-bound query or a
	// template may have none (a template without a name matches every name).
	Name string
	// Session, if set, binds the query to a session: it is deleted when the
	// session is destroyed or invalidated.
	Session string
	// Token is the ACL token the query runs with ("" for the caller's).
	Token    string
	Template QueryTemplate
	Service  ServiceQuery
	DNS      QueryDNSOptions

	CreateIndex uint64
	ModifyIndex uint64
}

// IsTemplate reports whether q is a template rather than a static query.
func (q *PreparedQuery) IsTemplate() bool { return q.Template.Type != "" }

// QueryTemplateNamePrefix is the one template type: the query answers any
// name with its Name as a prefix.
const QueryTemplateNamePrefix = "name_prefix_match"

// QueryTemplate makes a query a template.
type QueryTemplate struct {
	Type string // QueryTemplateNamePrefix, or "" for a static query
	// Regexp is matched against the whole name executed; its capture
	// groups are ${match(N)} in the Service fields.
	Regexp string
	// RemoveEmptyTags drops tags that interpolate to "".
	RemoveEmptyTags bool
}

// ServiceQuery says which instances of which service a query returns.
type ServiceQuery struct {
	Service       string
	SamenessGroup string `json:",omitempty"`
	// Near sorts the instances by round trip time from this node; "_agent"
	// is the node of the agent serving the request.
	Near     string
	Failover QueryFailoverOptions
	// IgnoreCheckIDs are checks whose state does not count.
	IgnoreCheckIDs []string
	// OnlyPassing leaves out instances with a warning check too, not only
	// those with a critical one.
	OnlyPassing bool
	// Tags must all be on an instance; "!tag" must not be.
	Tags        []string
	NodeMeta    map[string]string
	ServiceMeta map[string]string
	Peer        string `json:",omitempty"`
	Connect     bool
}

// QueryFailoverOptions name the other datacenters a query would try when
// the local one has no healthy instance (stored; failover across
// datacenters comes with federation).
type QueryFailoverOptions struct {
	NearestN    int
	Datacenters []string
	Targets     []QueryFailoverTarget `json:",omitempty"`
}

// QueryFailoverTarget is one datacenter or peer to fail over to.
type QueryFailoverTarget struct {
	Peer       string `json:",omitempty"`
	Datacenter string `json:",omitempty"`
}

// QueryDNSOptions are the settings of a query's DNS answers.
type QueryDNSOptions struct {
	TTL string // a duration such as "10s"; "" for the agent's service TTL
}

// PreparedQueryExecuteResponse is the result of executing a query.
type PreparedQueryExecuteResponse struct {
	Service    string
	Nodes      []*ServiceEntry
	DNS        QueryDNSOptions
	Datacenter string
	Failovers  int // datacenters tried besides the local one
}

// PreparedQueryExplainResponse is the query a name resolves to, with a
// template's fields interpolated for that name.
type PreparedQueryExplainResponse struct {
	Query PreparedQuery
}
