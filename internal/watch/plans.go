package watch

import "github.com/concordhq/concord/api"

// The reads of each watch type. Empty lists are returned as [] rather than
// null, as the HTTP API shows them; a missing key is null.

func keyRead(key string) func(*api.Client) readFunc {
	return func(c *api.Client) readFunc {
		return func(q *api.QueryOptions) (any, *api.QueryMeta, error) {
			return c.KV().Get(key, q)
		}
	}
}

func keyPrefixRead(prefix string) func(*api.Client) readFunc {
	return func(c *api.Client) readFunc {
		return func(q *api.QueryOptions) (any, *api.QueryMeta, error) {
			pairs, meta, err := c.KV().List(prefix, q)
			return nonNil(pairs), meta, err
		}
	}
}

func servicesRead(c *api.Client) readFunc {
	return func(q *api.QueryOptions) (any, *api.QueryMeta, error) {
		services, meta, err := c.Catalog().Services(q)
		if services == nil {
			services = map[string][]string{}
		}
		return services, meta, err
	}
}

func nodesRead(c *api.Client) readFunc {
	return func(q *api.QueryOptions) (any, *api.QueryMeta, error) {
		nodes, meta, err := c.Catalog().Nodes(q)
		return nonNil(nodes), meta, err
	}
}

func serviceRead(name string, tags []string, passingOnly bool) func(*api.Client) readFunc {
	return func(c *api.Client) readFunc {
		return func(q *api.QueryOptions) (any, *api.QueryMeta, error) {
			entries, meta, err := c.Health().Service(name, tags, passingOnly, q)
			return nonNil(entries), meta, err
		}
	}
}

// checksRead reads the checks of service, or else those in state (any when
// empty).
func checksRead(service, state string) func(*api.Client) readFunc {
	if state == "" {
		state = "any"
	}
	return func(c *api.Client) readFunc {
		return func(q *api.QueryOptions) (any, *api.QueryMeta, error) {
			var checks []*api.HealthCheck
			var meta *api.QueryMeta
			var err error
			if service != "" {
				checks, meta, err = c.Health().Checks(service, q)
			} else {
				checks, meta, err = c.Health().State(state, q)
			}
			return nonNil(checks), meta, err
		}
	}
}

// eventRead reads the events named name and keeps only those after the
// newest one the previous read returned, so each event is handled once.
// The first read returns every event the agent still holds (its last 256),
// as Consul's does. If the last one seen has left the agent's buffer, all
// are returned again.
func eventRead(name string) func(*api.Client) readFunc {
	return func(c *api.Client) readFunc {
		var lastID string
		return func(q *api.QueryOptions) (any, *api.QueryMeta, error) {
			events, meta, err := c.Event().List(name, q)
			if err != nil {
				return nil, nil, err
			}
			fresh := events
			for i, e := range events {
				if e.ID == lastID {
					fresh = events[i+1:]
				}
			}
			if len(events) > 0 {
				lastID = events[len(events)-1].ID
			}
			return nonNil(fresh), meta, nil
		}
	}
}

// nonNil returns s, or an empty slice for nil.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
