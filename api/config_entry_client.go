package api

import (
	"net/http"
	"net/url"
	"strconv"
)

// ConfigEntries is the /v1/config endpoints: config entries.
type ConfigEntries struct{ c *Client }

// ConfigEntries returns a handle on the /v1/config endpoints.
func (c *Client) ConfigEntries() *ConfigEntries { return &ConfigEntries{c} }

// Set stores e, and reports whether it was stored.
func (ce *ConfigEntries) Set(e *ConfigEntry) (bool, error) {
	var ok bool
	err := ce.c.send(http.MethodPut, "/v1/config", nil, e, &ok)
	return ok, err
}

// CAS stores e if the stored entry's ModifyIndex is index (0: only if
// there is none), and reports whether it did.
func (ce *ConfigEntries) CAS(e *ConfigEntry, index uint64) (bool, error) {
	var ok bool
	err := ce.c.send(http.MethodPut, "/v1/config", casParam(index), e, &ok)
	return ok, err
}

// Get returns the entry of kind named name; a missing one is a
// *StatusError with code 404.
func (ce *ConfigEntries) Get(kind, name string, q *QueryOptions) (*ConfigEntry, *QueryMeta, error) {
	var out ConfigEntry
	m, err := ce.c.read("/v1/config/"+url.PathEscape(kind)+"/"+url.PathEscape(name), queryParams(q), &out)
	if err != nil {
		return nil, m, err
	}
	return &out, m, nil
}

// List returns every entry of kind, by name.
func (ce *ConfigEntries) List(kind string, q *QueryOptions) ([]*ConfigEntry, *QueryMeta, error) {
	var out []*ConfigEntry
	m, err := ce.c.read("/v1/config/"+url.PathEscape(kind), queryParams(q), &out)
	return out, m, err
}

// Delete deletes the entry of kind named name, if there is one.
func (ce *ConfigEntries) Delete(kind, name string) error {
	return ce.c.send(http.MethodDelete, "/v1/config/"+url.PathEscape(kind)+"/"+url.PathEscape(name), nil, nil, nil)
}

// DeleteCAS deletes the entry if its ModifyIndex is index, and reports
// whether it did.
func (ce *ConfigEntries) DeleteCAS(kind, name string, index uint64) (bool, error) {
	var ok bool
	err := ce.c.send(http.MethodDelete, "/v1/config/"+url.PathEscape(kind)+"/"+url.PathEscape(name), casParam(index), nil, &ok)
	return ok, err
}

func casParam(index uint64) url.Values { return url.Values{"cas": {strconv.FormatUint(index, 10)}} }
