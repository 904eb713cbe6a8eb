package api

// Catalog is the /v1/catalog read endpoints: the cluster-wide view of
// nodes and the services registered on them.
type Catalog struct{ c *Client }

// Catalog returns a handle on the /v1/catalog endpoints.
func (c *Client) Catalog() *Catalog { return &Catalog{c} }

// Datacenters returns the names of the datacenters this agent can reach,
// its own among them.
func (cat *Catalog) Datacenters() ([]string, error) {
	var out []string
	if _, err := cat.c.read("/v1/catalog/datacenters", nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Nodes returns every node of the datacenter, sorted by name.
func (cat *Catalog) Nodes(q *QueryOptions) ([]*Node, *QueryMeta, error) {
	var out []*Node
	meta, err := cat.c.read("/v1/catalog/nodes", queryParams(q), &out)
	if err != nil {
		return nil, nil, err
	}
	return out, meta, nil
}

// Services returns every service name of the datacenter with the union of
// its instances' tags.
func (cat *Catalog) Services(q *QueryOptions) (map[string][]string, *QueryMeta, error) {
	var out map[string][]string
	meta, err := cat.c.read("/v1/catalog/services", queryParams(q), &out)
	if err != nil {
		return nil, nil, err
	}
	return out, meta, nil
}

// Service returns the instances of service name that carry every one of
// tags; no tags means all instances. Health is not considered: see
// Health.Service for that.
func (cat *Catalog) Service(name string, tags []string, q *QueryOptions) ([]*CatalogService, *QueryMeta, error) {
	params := queryParams(q)
	for _, tag := range tags {
		params.Add("tag", tag)
	}
	var out []*CatalogService
	meta, err := cat.c.read("/v1/catalog/service/"+name, params, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, meta, nil
}

// Node returns node name with its services, or nil when the catalog has
// no such node.
func (cat *Catalog) Node(name string, q *QueryOptions) (*CatalogNode, *QueryMeta, error) {
	var out *CatalogNode
	meta, err := cat.c.read("/v1/catalog/node/"+name, queryParams(q), &out)
	if err != nil {
		return nil, nil, err
	}
	return out, meta, nil
}

// Health is the /v1/health endpoints: the catalog's nodes and services
// seen through their checks.
type Health struct{ c *Client }

// Health returns a handle on the /v1/health endpoints.
func (c *Client) Health() *Health { return &Health{c} }

// Service returns the instances of service name that carry every one of
// tags, each with its node and the checks that bear on it (the node's
// and the instance's). passingOnly keeps only the instances whose checks
// all pass.
func (h *Health) Service(name string, tags []string, passingOnly bool, q *QueryOptions) ([]*ServiceEntry, *QueryMeta, error) {
	params := queryParams(q)
	for _, tag := range tags {
		params.Add("tag", tag)
	}
	if passingOnly {
		params.Set("passing", "")
	}
	var out []*ServiceEntry
	meta, err := h.c.read("/v1/health/service/"+name, params, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, meta, nil
}

// Node returns the checks of node name, its services' checks included.
func (h *Health) Node(name string, q *QueryOptions) ([]*HealthCheck, *QueryMeta, error) {
	return h.checks("/v1/health/node/"+name, q)
}

// Checks returns the checks of every instance of service.
func (h *Health) Checks(service string, q *QueryOptions) ([]*HealthCheck, *QueryMeta, error) {
	return h.checks("/v1/health/checks/"+service, q)
}

// State returns every check in state: one of the Health* constants, or
// "any" for all checks.
func (h *Health) State(state string, q *QueryOptions) ([]*HealthCheck, *QueryMeta, error) {
	return h.checks("/v1/health/state/"+state, q)
}

func (h *Health) checks(path string, q *QueryOptions) ([]*HealthCheck, *QueryMeta, error) {
	var out []*HealthCheck
	meta, err := h.c.read(path, queryParams(q), &out)
	if err != nil {
		return nil, nil, err
	}
	return out, meta, nil
}
