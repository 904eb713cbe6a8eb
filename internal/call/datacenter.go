package call

import "context"

// dcKey is the context key of the datacenter a call is made in.
type dcKey struct{}

// WithDatacenter returns ctx naming dc as the datacenter the calls made
// with it are answered in: the HTTP API puts ?dc there, the RPC server
// the datacenter that came over the wire. "" (or no value) is the
// datacenter of the server that receives the call. A server of another
// datacenter forwards the call to one of dc's servers (see the server's
// CallDC), which answers it as a local call.
func WithDatacenter(ctx context.Context, dc string) context.Context {
	return context.WithValue(ctx, dcKey{}, dc)
}

// DatacenterFrom returns the datacenter ctx names, "" for none.
func DatacenterFrom(ctx context.Context) string {
	dc, _ := ctx.Value(dcKey{}).(string)
	return dc
}

// CatalogDatacentersArgs asks for the datacenters a server knows.
type CatalogDatacentersArgs struct{}

// CatalogDatacenters lists every datacenter the answering server knows
// from the WAN pool, its own included, nearest first (see the server's
// Datacenters); any server answers from its own view.
var CatalogDatacenters = declare[CatalogDatacentersArgs, []string]("CatalogDatacenters", Local,
	func(*CatalogDatacentersArgs) []Resource { return one(status, "", read) })
