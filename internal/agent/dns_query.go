package agent

import (
	"context"
	"errors"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/dns"
	"github.com/concordhq/concord/internal/wanaddr"
)

var _ dns.QueryCatalog = dnsCatalog{}

// ExecuteQuery runs a prepared query for DNS in datacenter dc, as this
// agent, for the client at address client: a query that does not exist
// is nil.
func (c dnsCatalog) ExecuteQuery(ctx context.Context, dc, idOrName, client string) (*api.PreparedQueryExecuteResponse, error) {
	q := c.query()
	q.Q.SourceIP = client
	res, err := call.QueryExecute.Invoke(inDC(ctx, dc), c.calls, call.QueryExecuteArgs{Query: q, IDOrName: idOrName, Agent: c.node})
	var notFound api.NotFoundError
	if errors.As(err, &notFound) {
		return nil, nil
	}
	if err == nil && res.Value != nil && c.wan(res.Value.Datacenter) {
		return wanaddr.QueryResponse(res.Value), nil
	}
	return res.Value, err
}
