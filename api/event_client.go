package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// Event is the /v1/event endpoints: user events, spread by gossip.
type Event struct{ c *Client }

// Event returns a handle on the /v1/event endpoints.
func (c *Client) Event() *Event { return &Event{c} }

// Fire sends e.Payload as the event e.Name, for the agents that e's
// NodeFilter, ServiceFilter and TagFilter select, and returns the event's
// ID. Delivery is best effort.
func (ev *Event) Fire(e *UserEvent) (string, error) {
	params := url.Values{}
	for name, v := range map[string]string{"node": e.NodeFilter, "service": e.ServiceFilter, "tag": e.TagFilter} {
		if v != "" {
			params.Set(name, v)
		}
	}
	req, err := ev.c.newRequest(http.MethodPut, "/v1/event/fire/"+e.Name, params, bytes.NewReader(e.Payload))
	if err != nil {
		return "", err
	}
	resp, err := ev.c.do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out UserEvent
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", fmt.Errorf("api: cannot decode event fire reply: %w", err)
	}
	return out.ID, nil
}

// List returns the events named name ("" for all) the agent has received,
// oldest first. The index is derived from the newest event's ID, so it
// changes with each new event but does not grow: block on it with
// MinQueryIndex, never compare it.
func (ev *Event) List(name string, q *QueryOptions) ([]*UserEvent, *QueryMeta, error) {
	params := queryParams(q)
	if name != "" {
		params.Set("name", name)
	}
	var events []*UserEvent
	meta, err := ev.c.read("/v1/event/list", params, &events)
	if err != nil {
		return nil, nil, err
	}
	return events, meta, nil
}
