package httpapi

import (
	"net/http"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/wanaddr"
)

// translateWAN gives out, the answer to r, the addresses other datacenters
// reach nodes and services at (package wanaddr) when it is about another
// datacenter: a read with ?dc of another, or a prepared query that
// another datacenter answered (a failover). Config.TranslateWANAddrs
// turns it on.
func (h *Handler) translateWAN(r *http.Request, out any) any {
	if q, ok := out.(*api.PreparedQueryExecuteResponse); ok {
		if q != nil && q.Datacenter != "" && q.Datacenter != h.cfg.Datacenter {
			return wanaddr.QueryResponse(q)
		}
		return out
	}
	if dc := call.DatacenterFrom(r.Context()); dc == "" || dc == h.cfg.Datacenter {
		return out
	}
	if l, ok := out.(*nodeServiceList); ok && l != nil {
		c := &nodeServiceList{Node: wanaddr.Node(l.Node), Services: make([]*api.NodeService, len(l.Services))}
		for i, s := range l.Services {
			c.Services[i] = wanaddr.Service(s)
		}
		return c
	}
	return wanaddr.Result(out)
}
