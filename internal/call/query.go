package call

import "github.com/concordhq/concord/api"

// Prepared queries (/v1/query). Access rules name them by their name, as
// Consul's query rules do: query:write to create, change or delete one,
// query:read to list, read or explain one.

// queryRule is the rule kind of prepared queries.
const queryRule = "query"

// Prepared query operations (QueryApplyArgs.Op); the state store and the
// Raft command use the same words.
const (
	QueryCreate = "create"
	QueryUpdate = "update"
	QueryDelete = "delete"
)

type (
	// QueryApplyArgs create (Query.ID ""), update or delete (Op
	// "delete", only Query.ID read) a query.
	QueryApplyArgs struct {
		Op    string // QueryCreate, QueryUpdate or QueryDelete
		Query *api.PreparedQuery
	}
	QueryGetArgs struct {
		Query
		ID string
	}
	QueryListArgs struct{ Query }
	// QueryExecuteArgs run the query that IDOrName resolves to.
	QueryExecuteArgs struct {
		Query
		IDOrName string
		// Near, when set, sorts the instances by round trip time from
		// this node (?near), in place of the query's own Near; "_agent"
		// means Agent.
		Near string
		// Agent is the node of the agent the request came to.
		Agent string
		// Limit, when positive, keeps that many instances, after sorting.
		Limit int
	}
	// QueryExecuteRemoteArgs run a query's definition in the datacenter
	// the call is made in: a server whose own datacenter has no healthy
	// instance fails the query over so (see the server's QueryExecute).
	// The definition goes with the call, since the other datacenter
	// need not hold the query.
	QueryExecuteRemoteArgs struct {
		Query
		Definition *api.PreparedQuery // resolved: a template already rendered
		Limit      int                // as QueryExecuteArgs.Limit
	}
	// QueryExplainArgs ask which query IDOrName resolves to, interpolated.
	QueryExplainArgs struct {
		Query
		IDOrName string
	}
)

var (
	QueryApply = declare[QueryApplyArgs, string]("QueryApply", Write,
		func(a *QueryApplyArgs) []Resource {
			if a.Query == nil {
				return one(queryRule, "", write)
			}
			return one(queryRule, a.Query.Name, write)
		})
	// QueryGet and QueryList results are for filtering by each query's
	// name, as Consul filters them.
	QueryGet = declare[QueryGetArgs, Result[[]*api.PreparedQuery]]("QueryGet", Read,
		func(*QueryGetArgs) []Resource { return one(queryRule, "", read) })
	QueryList = declare[QueryListArgs, Result[[]*api.PreparedQuery]]("QueryList", Read,
		func(*QueryListArgs) []Resource { return one(queryRule, "", read) })
	// QueryExecute is decided by the service and node rules of what it
	// returns, as in Consul; the query itself is named by its ID or name.
	QueryExecute = declare[QueryExecuteArgs, Result[*api.PreparedQueryExecuteResponse]]("QueryExecute", Read,
		func(a *QueryExecuteArgs) []Resource { return one(queryRule, a.IDOrName, read) })
	// QueryExecuteRemote is decided as QueryExecute, by the query's name.
	QueryExecuteRemote = declare[QueryExecuteRemoteArgs, Result[*api.PreparedQueryExecuteResponse]]("QueryExecuteRemote", Read,
		func(a *QueryExecuteRemoteArgs) []Resource {
			if a.Definition == nil {
				return one(queryRule, "", read)
			}
			return one(queryRule, a.Definition.Name, read)
		})
	QueryExplain = declare[QueryExplainArgs, Result[*api.PreparedQueryExplainResponse]]("QueryExplain", Read,
		func(a *QueryExplainArgs) []Resource { return one(queryRule, a.IDOrName, read) })
)
