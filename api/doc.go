// Package api holds Concord's wire types — the JSON shapes of Consul's HTTP
// API v1 that Concord speaks — and a small Go client for them.
//
// Field names and order follow Consul exactly, because clients in other
// languages read them by name. Server packages share these types instead of
// keeping a second copy, so a field added here reaches the HTTP layer, the
// state store and the client at once.
package api
