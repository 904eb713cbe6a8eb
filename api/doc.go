// Package api holds Concord's wire types — the JSON shapes of Consul's HTTP
// API v1 that Concord speaks — and a small Go client for them, shared by
// Concord's server, its CLI and its tests.
//
// Field names and order follow Consul exactly, because clients in other
// languages read them by name. Server packages share these types instead of
// keeping a second copy, so a field added here reaches the HTTP layer, the
// state store and the client at once. Values only servers use (blocking
// query bounds, session and stream defaults) live with the server, in
// internal/server and internal/call.
//
// The client serves Concord's own commands; its names differ from
// Consul's in places. Go programs outside Concord should use
// github.com/hashicorp/consul/api, which Concord answers as Consul does.
package api
