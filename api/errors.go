package api

import "errors"

// Errors that servers return and the HTTP layer maps to status codes. Their
// texts are Consul's, since clients and scripts match on them.
var (
	// ErrNoLeader is returned when no leader is known (HTTP 500).
	ErrNoLeader = errors.New("No cluster leader")
	// ErrUnknownDC is returned for a datacenter this agent cannot reach
	// (HTTP 500, Consul's text).
	ErrUnknownDC = errors.New("No path to datacenter")
	// ErrShuttingDown is returned once the agent has begun to stop.
	ErrShuttingDown = errors.New("agent is shutting down")
)

// BadRequestError is an error caused by the request itself (HTTP 400).
type BadRequestError struct{ Reason string }

func (e BadRequestError) Error() string { return e.Reason }

// TooLargeError is a request over one of the limits (HTTP 413).
type TooLargeError struct{ Reason string }

func (e TooLargeError) Error() string { return e.Reason }

// NotFoundError is a request for something that does not exist (HTTP 404).
type NotFoundError struct{ Reason string }

func (e NotFoundError) Error() string { return e.Reason }
